"""Remake docs/dashboard.png: the dashboard on the default fixture, in headless Chromium.

    make screenshot        (or: .venv/bin/python docs/screenshot.py [OUTPUT])

A live server on the default fixture gets a few requests first (one unmatched, a queued
message, a fault rule), so that every view has something to show.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx
from playwright.sync_api import expect, sync_playwright

from fakeserver import FakeServer

RETENTION = "8a2e4f6b-3c5d-4e7f-9a1b-2c3d4e5f6a70"
OUTPUT = Path(__file__).with_name("dashboard.png")


def populate(base_url: str) -> None:
    headers = {"Authorization": "Bearer phx_ada_all"}
    with httpx.Client(base_url=base_url, headers=headers) as api:
        api.get("/api/projects/1/conversations/")
        api.get(f"/api/projects/1/conversations/{RETENTION}/")
        api.post(
            f"/api/projects/1/conversations/{RETENTION}/queue/",
            json={"content": "Split it by signup source"},
        )
        api.get("/api/projects/1/conversationz/")
        api.post(
            "/_fakeserver/faults",
            json={"operation_id": "conversations_queue_*", "times": 3, "action": {"status": 503}},
        )


def main() -> int:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is missing: apt-get install -y chromium", file=sys.stderr)
        return 1
    with FakeServer(live=True) as server, sync_playwright() as playwright:
        populate(server.url)
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{server.url}/_fakeserver/ui")
        expect(page.locator("#live")).to_have_text("live")
        expect(page.locator("#journal tbody tr")).to_have_count(4)
        page.locator("#conversations").get_by_role(
            "button", name="Retention of the March cohort"
        ).click()
        expect(page.locator("#detail-queue li")).to_have_count(2)
        page.locator("body").click(position={"x": 0, "y": 0})  # no focus ring in the picture
        page.screenshot(path=str(output), full_page=True)
        browser.close()
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
