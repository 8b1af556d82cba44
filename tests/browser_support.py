"""What the real-browser tests share: Debian's Chromium driven by Playwright (never a
downloaded browser: without /usr/bin/chromium the importing test module skips), its launch,
the artifacts folder and the waits."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.core.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); the browser test needs "
                "Debian's Chromium and never downloads one", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (pip install -e .[dev])")

ARTIFACTS = PROJECT_ROOT / "test-artifacts"  # screenshots (git-ignored)
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--no-first-run", "--disable-quic", "--disable-component-update",
               "--disable-sync"]
TIMEOUT_MS = 20_000  # any single Playwright wait


def launched_chromium() -> Iterator[Any]:
    """Headless Chromium for a module's tests (the body of its ``browser`` fixture)."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=LAUNCH_ARGS, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser: Any, *, width: int = 1440, height: int = 900,
             dark: bool = False) -> tuple[Any, Any, list[str]]:
    """A French page in a context of its own, and the JavaScript errors it will raise."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-BE",
                                  color_scheme="dark" if dark else "light")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


@contextlib.contextmanager
def browsed(browser: Any, failure_shot: str, *, width: int = 1440, height: int = 900,
            dark: bool = False) -> Iterator[Any]:
    """A page for one test: a screenshot named ``failure_shot`` when the test fails, its
    context closed however it ends, and no JavaScript error allowed on it."""
    context, page, errors = new_page(browser, width=width, height=height, dark=dark)
    try:
        yield page
    except BaseException:
        with contextlib.suppress(Exception):  # the failure itself matters more than its picture
            page.screenshot(path=str(artifact(failure_shot)), full_page=True)
        raise
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def words(text: str) -> str:
    return " ".join(text.split())
