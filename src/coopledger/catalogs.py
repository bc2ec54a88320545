"""Keeping the gettext catalogs: extract the marked messages, update each language's ``.po``
and compile it to ``.mo`` (``./dev catalogs``; see ``docs/languages.md``).

One domain per package: the library (``coopledger``), the web pages (``coopweb``) and each
plugin's own. English is the source language (the msgids); ``bn`` (Bangla) is translated.
Everything is done with Babel's own extraction, ``.po`` reader and writer and compiler; the
templates are read by Jinja2's Babel extractor. ``problems()`` is what the catalog test
checks: a message without a translation, a fuzzy one, or one whose placeholders differ.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
#: The languages translated from English.
TRANSLATED = ("bn",)
LANGUAGE_NAMES = {"bn": "Bangla"}
#: What marks a message in Python: the library's ``_``/``ngettext_``; in the web and the
#: plugins also ``text``/``say`` (a message of their own catalog) and ``mark`` (a word a
#: template translates when it shows it).
PY_KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "ngettext_": (1, 2),
    "text": None,
    "text_": None,
    "say": None,
    "mark": None,
}
TEMPLATE_KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
}


@dataclass(frozen=True)
class Domain:
    """A gettext domain: the package folder it is extracted from (``source``) and where its
    ``locale/<lang>/LC_MESSAGES/<name>.po`` live (``source/locale``)."""

    name: str
    source: Path
    templates: bool = False

    @property
    def locale(self) -> Path:
        return self.source / "locale"

    def po(self, lang: str) -> Path:
        return self.locale / lang / "LC_MESSAGES" / f"{self.name}.po"


def _plugin(folder: str, package: str, *, templates: bool = True) -> Domain:
    return Domain(package, ROOT / "plugins" / folder / "src" / package, templates)


DOMAINS = (
    Domain("coopledger", ROOT / "src" / "coopledger"),
    Domain("coopweb", ROOT / "src" / "coopweb", templates=True),
    _plugin("rice_savings", "coopweb_rice_savings"),
    _plugin("vermicompost", "coopledger_vermicompost", templates=False),
    _plugin("vermicompost", "coopweb_vermicompost"),
    _plugin("cluster_platform", "coopweb_cluster_platform"),
)


def extract(domain: Domain) -> Catalog:
    """Every message marked in the domain's Python and templates (its ``.pot``)."""
    method_map = [("**.py", "python")]
    if domain.templates:
        method_map.append(("templates/**.html", "jinja2.ext:babel_extract"))
    options = {"templates/**.html": {"trimmed": "false"}}
    template = Catalog(project=domain.name, fuzzy=False)
    found = extract_from_dir(
        str(domain.source),
        method_map,
        options,
        keywords={**PY_KEYWORDS, **TEMPLATE_KEYWORDS},
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        if "/locale/" in filename or filename.startswith("locale/"):
            continue
        template.add(
            message,
            None,
            [(filename, lineno)],
            auto_comments=comments,
            context=context,
            flags=("python-brace-format",) if _braces(message) else (),
        )
    return template


def _braces(message: str | tuple[str, ...]) -> bool:
    text = message if isinstance(message, str) else message[0]
    return bool(re.search(r"\{\w+\}", text))


def read(path: Path, lang: str) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def update(domain: Domain, lang: str) -> tuple[int, int]:
    """Merge the extracted messages into ``lang``'s ``.po`` (new ones untranslated, gone
    ones dropped) and compile it; returns (messages, untranslated)."""
    template = extract(domain)
    path = domain.po(lang)
    if path.exists():
        catalog = read(path, lang)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=lang, domain=domain.name)
    created = catalog.creation_date  # kept: the files change only when a message does
    catalog.update(template, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.creation_date = created
    catalog.project, catalog.version, catalog.fuzzy = domain.name, "", False
    catalog.header_comment = (
        f"# {LANGUAGE_NAMES.get(lang, lang)} translations of {domain.name}; kept with "
        "./dev catalogs (docs/languages.md).\n"
        "# Distributed under the project's licence, AGPL-3.0-or-later."
    )
    catalog.last_translator = catalog.language_team = "coopledger developers"
    catalog.msgid_bugs_address = ""
    with path.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=True, include_lineno=False)
    compile_mo(domain, lang)
    todo = len([m for m in catalog if m.id and not _translated(m.string)])
    return sum(1 for m in catalog if m.id), todo


def compile_mo(domain: Domain, lang: str) -> Path:
    """Compile ``lang``'s ``.po`` to the ``.mo`` that gettext reads (fuzzy entries left out)."""
    catalog = read(domain.po(lang), lang)
    out = domain.po(lang).with_suffix(".mo")
    with out.open("wb") as f:
        write_mo(f, catalog, use_fuzzy=False)
    return out


def _translated(string: object) -> bool:
    if isinstance(string, tuple | list):
        return all(isinstance(s, str) and s.strip() for s in string)
    return isinstance(string, str) and bool(string.strip())


_PLACEHOLDER = re.compile(r"\{(\w+)\}|%\((\w+)\)s")


def _placeholders(text: object) -> set[str]:
    texts = (
        [text] if isinstance(text, str) else list(text) if isinstance(text, tuple | list) else []
    )
    return {a or b for t in texts for a, b in _PLACEHOLDER.findall(t)}


def problems(domain: Domain, lang: str) -> Iterator[str]:
    """What is wrong with ``lang``'s catalog of ``domain``: a marked message missing from it,
    untranslated or fuzzy, a translation whose placeholders differ, a stale ``.mo``."""
    path = domain.po(lang)
    if not path.exists():
        yield f"{path}: no catalog (run ./dev catalogs)"
        return
    catalog = read(path, lang)
    for message in extract(domain):
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        if found is None:
            yield f"{domain.name}/{lang}: {message.id!r} ({where}) is not in the catalog"
        elif found.fuzzy:
            yield f"{domain.name}/{lang}: {message.id!r} ({where}) is marked fuzzy"
        elif not _translated(found.string):
            yield f"{domain.name}/{lang}: {message.id!r} ({where}) has no translation"
        elif _placeholders(found.string) != _placeholders(message.id):
            yield (
                f"{domain.name}/{lang}: {message.id!r} ({where}): the translation's "
                f"placeholders {sorted(_placeholders(found.string))} differ"
            )
    mo = path.with_suffix(".mo")
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    if not mo.exists() or mo.read_bytes() != compiled.getvalue():
        yield f"{mo}: missing or not compiled from its .po (run ./dev catalogs)"


def main() -> None:
    """``./dev catalogs``: update and compile every domain's catalogs, say what is left."""
    left = 0
    for domain in DOMAINS:
        for lang in TRANSLATED:
            total, todo = update(domain, lang)
            left += todo
            print(f"{domain.po(lang).relative_to(ROOT)}: {total} messages, {todo} to translate")
    if left:
        print(f"{left} messages need a translation (docs/languages.md)")


if __name__ == "__main__":
    main()
