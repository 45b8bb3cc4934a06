"""Headless Chromium, driven by Playwright, with the network cut: for the site and deck tests.

Playwright drives the Chromium that the machine already has (Debian's
``chromium`` package, or ``$CHROMIUM``); it never downloads a browser. Every
page opens in an offline context, and every request it makes is recorded,
so a test can prove that nothing but local files was asked for.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable: ``$CHROMIUM``, else the first on PATH."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def require_chromium(what: str) -> str:
    """The Chromium to test ``what`` with; skip the test without one, fail under CI."""
    executable = find_chromium()
    if executable is None and os.environ.get("CI") == "true":
        pytest.fail("CI must check in a browser, but Chromium is missing (see .ci/run)")
    if executable is None:
        pytest.skip(
            f"Chromium is not installed, so {what} not checked in a browser "
            "(Debian/Ubuntu: sudo apt-get install chromium; or set CHROMIUM=/path/to/chrome)"
        )
    return executable


@contextmanager
def offline_page(
    what: str, width: int = 1280, height: int = 800, allow_loopback: bool = False
) -> Iterator[tuple[object, list[str]]]:
    """A Playwright page of ``width`` x ``height`` with no network, and the URLs it requests.

    With ``allow_loopback`` the page may reach servers on 127.0.0.1 (JupyterLab) and
    nothing else.
    """
    from playwright.sync_api import sync_playwright

    executable = require_chromium(what)
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height}, offline=not allow_loopback
            )

            def route(request_route) -> None:
                url = request_route.request.url
                local = url.startswith(LOCAL_SCHEMES) or (
                    allow_loopback and url.startswith(("http://127.0.0.1", "ws://127.0.0.1"))
                )
                request_route.continue_() if local else request_route.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            yield page, requests
        finally:
            browser.close()
