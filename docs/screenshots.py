"""Take the README's screenshots of the status page (desktop and phone) and of `plan --html`, in
headless Chromium, from the browser tests' world: the daemon on a manual clock against the emulator,
six hours into a Monday with one endpoint paused by the budget guard.

    .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hfwarden import logs  # noqa: E402
from tests.support.browser import chromium  # noqa: E402
from tests.support.page_world import page_world  # noqa: E402


def main() -> None:
    logs.configure("console", level="error")
    docs = ROOT / "docs"
    with tempfile.TemporaryDirectory() as tmp, page_world(Path(tmp)) as world:
        for _ in range(90):  # six hours of passes, every 4 minutes (5 or more would read as a gap)
            world.advance(4 * 60)
        with chromium(1200, 1400) as browser:
            browser.open(world.base_url + "/")
            browser.screenshot(docs / "status-page.png")
            browser.resize(390, 844)
            browser.open(world.base_url + "/")
            browser.screenshot(docs / "status-page-phone.png")
            plan = Path(tmp) / "plan.html"
            subprocess.run(  # noqa: S603 (our own interpreter and arguments)
                [
                    sys.executable,
                    "-m",
                    "hfwarden",
                    "plan",
                    "--config",
                    "schedules",
                    "--date",
                    "2026-03-30",
                    "--html",
                    str(plan),
                ],
                check=True,
                cwd=ROOT,
                capture_output=True,
            )
            browser.resize(1000, 1150)
            browser.open(plan.as_uri())
            browser.screenshot(docs / "plan-html.png")
    for name in ("status-page.png", "status-page-phone.png", "plan-html.png"):
        print(f"{docs / name}: {(docs / name).stat().st_size / 1000:.0f} kB")


if __name__ == "__main__":
    main()
