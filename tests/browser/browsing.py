"""What the browser tests share: the browser to drive, a server for an app on a spare port,
and the checks every page gets (it fits the screen; a form records and shows its seal).

Imported by the test modules of this folder (pytest puts the folder on ``sys.path``)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def need_chromium() -> str:
    """The browser's path; without one the calling module is skipped with a reason, or,
    under ``CI=true``, fails (CI installs Debian's chromium)."""
    if CHROMIUM is None:
        if os.environ.get("CI", "").lower() == "true":
            raise RuntimeError("CI=true but chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on a spare port of 127.0.0.1, in a thread; its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def shot(page: Any, name: str) -> None:
    """Check the page is no wider than the screen; save it (with ``COOPWEB_SCREENSHOTS``: a
    folder to keep the pictures in, as docs/guide.md shows them)."""
    wide = page.evaluate("document.documentElement.scrollWidth")
    screen = page.viewport_size["width"] if page.viewport_size else 0
    assert wide <= screen, f"{name}: {wide} px wide on a {screen} px screen"
    folder = os.environ.get("COOPWEB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def record(page: Any) -> str:
    """Press Record on an entry form (not Preview, not More rows); the seal it shows."""
    from playwright.sync_api import expect  # noqa: PLC0415 - only where chromium is

    page.click("#entry-form button[type=submit]:not([name])")
    seal = page.locator("#entry-form .ok .seal")
    expect(seal).to_be_visible()
    return str(seal.inner_text())
