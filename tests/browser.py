"""Open a report page in a real headless browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def page_problems(page_path: Path) -> list[str]:
    """Load `page_path` from a file:// address; returns every console error, failed request and image that did
    not decode (empty: the page is whole). Skips when Playwright or Chromium is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright (pip install playwright)")
    if not Path(CHROMIUM).is_file():
        pytest.skip("needs Debian's Chromium (apt-get install chromium) for the browser checks")
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        page.goto(Path(page_path).resolve().as_uri(), wait_until="load")
        broken = page.evaluate("Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
                               ".map(i => i.getAttribute('src'))")
        problems += [f"image did not load: {src}" for src in broken]
        if not page.title():
            problems.append("no title")
        browser.close()
    return problems
