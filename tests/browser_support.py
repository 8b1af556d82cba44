"""What the real-browser tests share: Debian's Chromium driven by Playwright (never a
downloaded browser: without /usr/bin/chromium the importing test module skips), its launch,
the artifacts folder and the waits."""

from __future__ import annotations

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


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def words(text: str) -> str:
    return " ".join(text.split())
