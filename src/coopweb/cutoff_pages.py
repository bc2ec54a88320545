"""The cut-off from paper books on the web: ``/groups/JOBA/cutoff`` shows the sealed sheet,
or, before it is sealed, takes the sheet as a CSV or XLSX upload ("Check" decides by the
same rules and writes nothing; "Seal" records it). The sheet can also be typed in the
entries form ``/groups/JOBA/entries/seal_cutoff``. A refusal names the row and column of
the file and the value as typed (``docs/cutoff.md``).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import MediaType, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Template

from coopledger import LedgerError
from coopledger.cutoff.files import read_sheet
from coopledger.errors import InvalidInput
from coopweb.application import Coopweb, Resource, in_thread
from coopweb.forms import reason_of
from coopweb.language import text

CELL = re.compile(r"^row (\d+), (.+)$")


def _context(request: Request[Any, Any, Any], code: str, **extra: Any) -> dict[str, Any]:
    site = Coopweb.of(request)
    user = site.need_user()
    group = site.group(code)
    ledger = site.ledger
    return {
        "group": group,
        "sheet": ledger.reports.cutoff.sheet(group["code"]),
        "can_write": site.allowed(user, "write", Resource("group", group)),
        "key": uuid.uuid4().hex,
        **extra,
    }


@get(
    "/groups/{code:str}/cutoff",
    include_in_schema=False,
    media_type=MediaType.HTML,
    sync_to_thread=True,
)
def cutoff_page(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    return Coopweb.of(request).page("cutoff.html", **_context(request, code))


@post("/groups/{code:str}/cutoff", include_in_schema=False, media_type=MediaType.HTML)
async def upload_cutoff(request: Request[Any, Any, Any], code: FromPath[str]) -> Template:
    form = await request.form()
    upload = form.get("sheet")
    content, filename = b"", ""
    if isinstance(upload, UploadFile):
        content, filename = await upload.read(), upload.filename or ""
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    return await in_thread(_upload, request, code, content, filename, values)


def _upload(
    request: Request[Any, Any, Any],
    code: str,
    content: bytes,
    filename: str,
    values: dict[str, str],
) -> Template:
    site = Coopweb.of(request)
    user = site.need_user()
    group = site.group(code, write=True)
    checking = bool(values.get("check"))
    receipt, previewed, problem = None, None, None
    try:
        if not content:
            raise InvalidInput("sheet", filename or None, text("choose a .csv or .xlsx file"))
        sheet = read_sheet(content, filename)
        command = sheet.command(
            group["code"], key=values.get("key") or None, recorded_by=user.username
        )
        try:
            if checking:
                previewed = site.ledger.preview(command)
            else:
                receipt = site.record(user, command)
        except LedgerError as e:
            raise sheet.locate(e) from None
    except LedgerError as e:
        problem = e
    context = _context(
        request,
        code,
        receipt=receipt,
        previewed=previewed,
        problem=reason_of(problem) if problem is not None else None,
        **_where(problem),
        filename=filename,
    )
    return site.page("cutoff.html", status_code=422 if problem else 200, **context)


def _where(problem: LedgerError | None) -> dict[str, Any]:
    """Where a refusal points: the sheet's row and column (shown in the reader's words),
    or a field, and the value as typed."""
    if problem is None:
        return {}
    cell = CELL.match(problem.field)
    return {
        "problem_row": int(cell.group(1)) if cell else None,
        "problem_column": cell.group(2) if cell else problem.field,
        "problem_value": "" if problem.value is None else str(problem.value),
    }


ROUTES = [cutoff_page, upload_cutoff]

__all__ = ["ROUTES"]
