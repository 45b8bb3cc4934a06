"""Headless Chromium, driven by Playwright, with the network cut: for the site and deck tests.

Playwright drives the Chromium that the machine already has (Debian's
``chromium`` package, Google Chrome where it is installed, or ``$CHROMIUM``);
it never downloads a browser. Every page opens in an offline context, and every
request it makes is recorded, so a test can prove that nothing but local files
was asked for.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Where Chrome or Chromium is installed when it is not on PATH (macOS, Windows).
CHROMIUM_PATHS = (
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    *(
        str(Path(os.environ[root]) / "Google" / "Chrome" / "Application" / "chrome.exe")
        for root in ("PROGRAMFILES", "PROGRAMFILES(X86)", "LOCALAPPDATA")
        if os.environ.get(root)
    ),
)
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
LOOPBACK = ("http://127.0.0.1", "ws://127.0.0.1")


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable: ``$CHROMIUM``, else PATH, else the
    usual install places."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    on_path = (shutil.which(name) for name in CHROMIUM_NAMES)
    installed = (path for path in CHROMIUM_PATHS if Path(path).is_file())
    return next((path for path in (*on_path, *installed) if path), None)


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


def is_local(url: str, allow_loopback: bool = False) -> bool:
    """Whether a page may load url: a file or inline data (or, if allowed, 127.0.0.1)."""
    return url.startswith(LOCAL_SCHEMES) or (allow_loopback and url.startswith(LOOPBACK))


@dataclass
class RecordedPage:
    """A Playwright page with every URL it requested, and those that failed to load.

    Fonts are left out of ``failed``: MathJax probes for fonts it may not find.
    """

    page: object
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    allow_loopback: bool = False

    def remote(self) -> list[str]:
        """The requested URLs that are neither local files nor allowed servers."""
        return [url for url in self.requests if not is_local(url, self.allow_loopback)]


@contextmanager
def offline_browser(
    what: str, width: int = 1280, height: int = 800, allow_loopback: bool = False
) -> Iterator[Callable[[], RecordedPage]]:
    """One headless browser with no network; yields a function that opens a recorded page.

    Pages are ``width`` x ``height``. With ``allow_loopback`` they may reach servers on
    127.0.0.1 (JupyterLab) and nothing else. Every page shares the one browser, which is
    closed at the end.
    """
    from playwright.sync_api import sync_playwright

    executable = require_chromium(what)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context(
                viewport={"width": width, "height": height}, offline=not allow_loopback
            )

            def route(request_route) -> None:
                local = is_local(request_route.request.url, allow_loopback)
                request_route.continue_() if local else request_route.abort()

            context.set_default_timeout(30_000)
            context.route("**/*", route)

            def new_page() -> RecordedPage:
                recorded = RecordedPage(context.new_page(), allow_loopback=allow_loopback)

                def failed(request) -> None:
                    if request.resource_type != "font":
                        recorded.failed.append(request.url)

                recorded.page.on("request", lambda request: recorded.requests.append(request.url))
                recorded.page.on("requestfailed", failed)
                return recorded

            yield new_page
        finally:
            browser.close()


@contextmanager
def offline_page(
    what: str, width: int = 1280, height: int = 800, allow_loopback: bool = False
) -> Iterator[tuple[object, list[str]]]:
    """A Playwright page of ``width`` x ``height`` with no network, and the URLs it requests.

    With ``allow_loopback`` the page may reach servers on 127.0.0.1 (JupyterLab) and
    nothing else.
    """
    with offline_browser(what, width, height, allow_loopback) as new_page:
        recorded = new_page()
        yield recorded.page, recorded.requests


# Every TeX formula on the page has its typeset frame (MathJax 2 writes it beside the
# formula's script, with the script's id and "-Frame"; fast preview comes first).
ALL_TYPESET = """Array.from(document.querySelectorAll('script[type^="math/tex"]'))
  .every(script => script.id && document.getElementById(script.id + '-Frame'))"""


def wait_for_mathjax(page, timeout_ms: float = 60_000) -> bool:
    """Wait until MathJax 2 has typeset every formula of the page (at most timeout_ms).

    False if the page loads no MathJax, or if formulas are still untypeset at the end
    (the test then reports which).
    """
    if not page.evaluate("!!document.querySelector('script[src*=\"MathJax.js\"]')"):
        return False
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    ready = "!!(window.MathJax && MathJax.Hub && MathJax.isReady)"
    page.wait_for_function(ready, timeout=timeout_ms)
    page.evaluate("MathJax.Hub.Queue(() => { window.typesetDone = true; })")
    try:
        page.wait_for_function(f"window.typesetDone === true && {ALL_TYPESET}", timeout=timeout_ms)
    except PlaywrightTimeout:
        return False
    return True


def screenshot(page, path: Path) -> Path:
    """Save a PNG of the viewport to path (its folder is made) and return path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    return path
