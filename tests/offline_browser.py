"""Headless Chromium with the network cut, for the site and slide tests.

Why not Playwright or Selenium: both bring a driver of their own (Playwright
about 165 MB with its Node.js; Selenium needs chromedriver) only to send a
handful of DevTools commands. Chromium speaks the DevTools protocol over a
pipe (--remote-debugging-pipe: JSON messages on file descriptors 3 and 4), so
this module drives Debian's /usr/bin/chromium with the standard library alone.
A pipe also works across network namespaces: as root the browser runs inside
`unshare --net` (a namespace with no network at all), and for everyone the
proxy and resolver flags point every remote request at a dead address. Each
page records the URL of every request it makes, so a test can also prove
that nothing but local files was asked for.

Also here: `remote_references`, a static check that an HTML file loads only
local scripts, style sheets and images.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--hide-scrollbars",
    # Every remote request goes to a dead proxy; no name is ever resolved.
    "--proxy-server=127.0.0.1:9",
    "--remote-debugging-pipe",
]
# Loopback too (by default Chromium sends 127.0.0.1 around the proxy).
NO_LOOPBACK = ["--proxy-bypass-list=<-loopback>", "--host-resolver-rules=MAP * ~NOTFOUND"]
LOOPBACK_ONLY = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable, or None.

    $CHROMIUM names one explicitly. None on Windows, where the pipe set-up
    below (file descriptors 3 and 4) is not available.
    """
    if os.name != "posix":
        return None
    override = os.environ.get("CHROMIUM")
    if override:
        return override if Path(override).exists() else None
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def require_chromium(what: str) -> str:
    """The Chromium to test ``what`` with; skip the test without one, fail under CI."""
    import pytest

    executable = find_chromium()
    if executable is None and os.environ.get("CI") == "true":
        pytest.fail("CI must check in a browser, but Chromium is missing (see .ci/run)")
    if executable is None:
        pytest.skip(
            f"Chromium is not installed, so {what} not checked in a browser "
            "(Debian/Ubuntu: sudo apt-get install chromium; or set CHROMIUM=/path/to/chrome; "
            "Linux and macOS only)"
        )
    return executable


def _network_cut_prefix() -> list[str]:
    """A command prefix that runs a program with no network, if this machine allows it."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    candidates = [[unshare, "--net", "--"]] if os.geteuid() == 0 else []
    candidates.append([unshare, "--user", "--map-root-user", "--net", "--"])
    for prefix in candidates:
        probe = subprocess.run([*prefix, "true"], capture_output=True)
        if probe.returncode == 0:
            return prefix
    return []


class ChromiumError(RuntimeError):
    """The browser answered a command with an error, or did not answer."""


class Page:
    """One browser tab (a DevTools session) and the requests it made."""

    def __init__(self, browser: Chromium, session_id: str):
        self.browser = browser
        self.session_id = session_id
        self.requests: list[str] = []
        self.console_errors: list[str] = []

    def send(self, method: str, params: dict | None = None, timeout: float = 30.0) -> dict:
        return self.browser.send(method, params, session_id=self.session_id, timeout=timeout)

    def goto(self, url: str, timeout: float = 30.0) -> None:
        """Open url and wait for its load event."""
        loaded = self.browser.expect_event("Page.loadEventFired", self.session_id)
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise ChromiumError(f"cannot open {url}: {result['errorText']}")
        if not loaded.wait(timeout):
            raise ChromiumError(f"{url} did not finish loading in {timeout} s")

    def evaluate(self, expression: str, timeout: float = 30.0):
        """The JSON value of a JavaScript expression (promises are awaited)."""
        params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        result = self.send("Runtime.evaluate", params, timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise ChromiumError(f"JavaScript error: {text}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0, interval: float = 0.1):
        """Poll a JavaScript expression until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise ChromiumError(f"timed out after {timeout} s waiting for: {expression}")
            time.sleep(interval)

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        """Save a PNG of the viewport (or of the whole page) to path."""
        params: dict = {"format": "png"}
        if full_page:
            size = self.evaluate(
                "({w: document.documentElement.scrollWidth,"
                " h: Math.min(document.documentElement.scrollHeight, 6000)})"
            )
            params.update(
                captureBeyondViewport=True,
                clip={"x": 0, "y": 0, "width": size["w"], "height": size["h"], "scale": 1},
            )
        data = self.send("Page.captureScreenshot", params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def remote_requests(self) -> list[str]:
        """Every URL this page asked for that is not a local file or inline data."""
        return [url for url in self.requests if not url.startswith(LOCAL_SCHEMES)]


class _Waiter:
    def __init__(self):
        self.event = threading.Event()
        self.message: dict | None = None

    def wait(self, timeout: float) -> bool:
        return self.event.wait(timeout)


class Chromium:
    """A headless Chromium driven over --remote-debugging-pipe. Use as a context manager.

    With allow_loopback=False (the default) the browser reaches no address at
    all, 127.0.0.1 included: pages must come from files. With True it may reach
    servers on 127.0.0.1 (nothing else), for checking a local JupyterLab.
    """

    def __init__(
        self, executable: str, width: int = 1280, height: int = 900, allow_loopback: bool = False
    ):
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="attn-course-chromium-")
        self.network_cut = [] if allow_loopback else _network_cut_prefix()
        command = [
            *self.network_cut,
            executable,
            *FLAGS,
            *(LOOPBACK_ONLY if allow_loopback else NO_LOOPBACK),
            f"--user-data-dir={self.profile}",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()

        def wire_pipes() -> None:  # runs in the child: the browser reads fd 3, writes fd 4
            reading, writing = os.dup(to_browser_read), os.dup(from_browser_write)
            os.dup2(reading, 3)
            os.dup2(writing, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=wire_pipes,
            close_fds=False,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending: dict[int, _Waiter] = {}
        self._event_waiters: list[tuple[str, str | None, _Waiter]] = []
        self._pages: dict[str, Page] = {}
        self._stderr_tail: list[str] = []
        threading.Thread(target=self._read_messages, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    # -- protocol plumbing -------------------------------------------------------
    def _read_stderr(self) -> None:
        for line in iter(self.process.stderr.readline, b""):
            self._stderr_tail = (self._stderr_tail + [line.decode(errors="replace")])[-30:]

    def _read_messages(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                self._dispatch(json.loads(raw))
        with self._lock:  # the browser is gone: wake everyone up
            for waiter in self._pending.values():
                waiter.event.set()

    def _dispatch(self, message: dict) -> None:
        with self._lock:
            if "id" in message:
                waiter = self._pending.pop(message["id"], None)
                if waiter:
                    waiter.message = message
                    waiter.event.set()
                return
            method, session = message.get("method"), message.get("sessionId")
            page = self._pages.get(session)
            params = message.get("params", {})
            if page is not None and method == "Network.requestWillBeSent":
                page.requests.append(params["request"]["url"])
            if page is not None and method == "Runtime.exceptionThrown":
                page.console_errors.append(json.dumps(params.get("exceptionDetails", {}))[:500])
            for entry in list(self._event_waiters):
                wanted, wanted_session, waiter = entry
                if wanted == method and wanted_session in (None, session):
                    waiter.message = message
                    waiter.event.set()
                    self._event_waiters.remove(entry)

    def expect_event(self, method: str, session_id: str | None = None) -> _Waiter:
        """Register interest in the next event `method` (call before causing it)."""
        waiter = _Waiter()
        with self._lock:
            self._event_waiters.append((method, session_id, waiter))
        return waiter

    def send(
        self,
        method: str,
        params: dict | None = None,
        session_id: str | None = None,
        timeout: float = 30.0,
    ) -> dict:
        """Send one DevTools command and return its result."""
        waiter = _Waiter()
        with self._lock:
            self._next_id += 1
            message: dict = {"id": self._next_id, "method": method, "params": params or {}}
            if session_id:
                message["sessionId"] = session_id
            self._pending[self._next_id] = waiter
        try:
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        except OSError as error:
            raise ChromiumError(f"the browser has gone ({error}); {self.log_tail()}") from error
        if not waiter.wait(timeout) or waiter.message is None:
            raise ChromiumError(f"no answer to {method} in {timeout} s; {self.log_tail()}")
        if "error" in waiter.message:
            raise ChromiumError(f"{method}: {waiter.message['error']}")
        return waiter.message.get("result", {})

    def log_tail(self) -> str:
        return "browser stderr: " + "".join(self._stderr_tail[-10:]).strip()

    # -- public API --------------------------------------------------------------
    def new_page(self) -> Page:
        """Open a blank tab with request recording on."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        page = Page(self, session["sessionId"])
        with self._lock:
            self._pages[page.session_id] = page
        page.send("Page.enable")
        page.send("Runtime.enable")
        page.send("Network.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
        )
        return page

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.send("Browser.close", timeout=5)
            except ChromiumError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _References(HTMLParser):
    TAGS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src"}

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.inline: list[str] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        attribute = self.TAGS.get(tag)
        if attribute and attrs.get(attribute):
            self.urls.append((tag, attrs[attribute]))
        if tag in ("script", "style"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            self.inline.append(data)


REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)
# In inline scripts and styles: an import, a fetch or a CSS url() of a remote address.
REMOTE_IN_CODE = re.compile(
    r"""(@import\s+(url\()?|url\(|import\s*\(?|from\s+|src\s*=\s*|fetch\()\s*['"]?(https?:)?//""",
    re.IGNORECASE,
)


def remote_references(html_file: Path) -> list[str]:
    """Problems with an HTML file's scripts, style sheets and images.

    Reports every remote URL (http:, https:, or protocol-relative //) in a
    script, link, img, iframe or source tag, every remote import or url() in
    an inline script or style, and every local file they name that is missing.
    """
    parser = _References()
    parser.feed(html_file.read_text(encoding="utf-8"))
    problems = []
    for tag, url in parser.urls:
        if REMOTE.match(url):
            problems.append(f"<{tag}> loads {url}")
        elif not url.startswith(("data:", "#", "about:", "blob:", "mailto:")):
            local = (html_file.parent / url.split("#")[0].split("?")[0]).resolve()
            if tag != "link" or not url.endswith((".html", "/")):
                if not local.exists():
                    problems.append(f"<{tag}> names a missing file {url}")
    for code in parser.inline:
        for match in REMOTE_IN_CODE.finditer(code):
            start = max(match.start() - 40, 0)
            excerpt = code[start : match.end() + 40]
            problems.append(f"inline code loads a remote address: ...{excerpt}")
    return problems
