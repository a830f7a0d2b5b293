"""Browser tests: Playwright for Python driving the system's Chromium (Debian's ``chromium`` package).

Playwright's own browser download is not used (it is not reachable here): the browser is launched from
``CNNCALC_CHROMIUM`` or ``chromium`` on PATH. Where no Chromium is installed the browser tests skip, except in
CI (``CI=true``), where a missing browser fails: ``.ci/run`` installs it. Where the playwright package itself is
missing (the torch-less run of .ci/run installs only pytest and hypothesis) they skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    """The Chromium to drive: $CNNCALC_CHROMIUM, else chromium (or chromium-browser) on PATH."""
    given = os.environ.get("CNNCALC_CHROMIUM")
    if given:
        return given
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: in CI the browser tests must run")
        pytest.skip(message)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (800×600, no device scaling) whose console errors are collected in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1000, "height": 700}, device_scale_factor=1)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors
    yield pg
    context.close()
