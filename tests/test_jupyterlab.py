"""JupyterLab serves the lessons: with its token a lesson opens and shows its figures,
without it the server refuses.

Starts `jupyter lab` from this Python's environment on 127.0.0.1 (a free port, a token
of its own, the lessons folder; --allow-root only for root), with its settings and
workspaces in a temporary folder, and always stops it. A screenshot of the lesson's
heatmap is kept in build/artifacts/.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser import offline_browser, screenshot

from conftest import ARTIFACTS, LESSONS, NOTEBOOKS_DIR

START_SECONDS = 120  # the longest wait for the server to answer


def heatmap_cell(lesson: Path) -> int | None:
    """The index of the lesson's first cell that calls show_heatmaps and stores a PNG."""
    cells = json.loads(lesson.read_text(encoding="utf-8"))["cells"]
    for index, cell in enumerate(cells):
        pngs = ["image/png" in output.get("data", {}) for output in cell.get("outputs", [])]
        if "show_heatmaps(" in "".join(cell["source"]) and any(pngs):
            return index
    return None


LESSON = next(lesson for lesson in LESSONS if heatmap_cell(lesson) is not None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Straight to 127.0.0.1, whatever proxy the environment names.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url: str, token: str | None = None, method: str = "GET") -> int | None:
    """The HTTP status of a request for url (the token in the header, if given); None if
    no server answers."""
    request = urllib.request.Request(url, method=method)
    if token:
        request.add_header("Authorization", f"token {token}")
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(base URL, token) of a JupyterLab serving notebooks/; stopped after the module."""
    home = tmp_path_factory.mktemp("jupyter")
    port, token = free_port(), secrets.token_hex(24)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={NOTEBOOKS_DIR}",
    ]
    if hasattr(os, "getuid") and os.getuid() == 0:
        command.append("--allow-root")
    environment = dict(os.environ)
    for variable in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        environment[variable] = str(home / variable.lower())
    environment["JUPYTERLAB_SETTINGS_DIR"] = str(home / "settings")
    # Every cell in the page (no windowing), so the n-th cell on screen is cell n.
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    environment["JUPYTERLAB_WORKSPACES_DIR"] = str(home / "workspaces")
    log = home / "server.log"
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=environment)
    try:
        deadline = time.monotonic() + START_SECONDS
        while get(f"{base}/api/status", token) != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield base, token
    finally:
        # Ask the server to stop (it shuts its kernels down too); else end it.
        get(f"{base}/api/shutdown", token, method="POST")
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def test_without_the_token_the_server_refuses(lab):
    base, token = lab
    assert get(f"{base}/api/contents") == 403
    assert get(f"{base}/api/contents", token="not-" + token) == 403
    assert get(f"{base}/api/contents", token) == 200


# The heatmap cell, scrolled to the middle of the screen: is its image decoded and shown?
HEATMAP_SHOWN = """([index, count]) => {
  const cells = document.querySelectorAll('.jp-Notebook .jp-Cell');
  if (cells.length !== count) return false;
  cells[index].scrollIntoView({block: 'center', behavior: 'instant'});
  const img = cells[index].querySelector('.jp-OutputArea-output img');
  return !!(img && img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > 0);
}"""


def test_a_lesson_opens_with_the_token_and_shows_its_heatmap(lab):
    base, token = lab
    index = heatmap_cell(LESSON)
    count = len(json.loads(LESSON.read_text(encoding="utf-8"))["cells"])
    with offline_browser("JupyterLab was", allow_loopback=True) as new_page:
        recorded = new_page()
        page = recorded.page
        page.goto(f"{base}/lab/tree/{LESSON.name}?token={token}")
        page.wait_for_function(HEATMAP_SHOWN, arg=[index, count], timeout=90_000)
        # Formulas above it are typeset meanwhile and move it: scroll again once settled.
        page.wait_for_timeout(1000)
        assert page.evaluate(HEATMAP_SHOWN, [index, count])
        page.wait_for_timeout(200)
        shot = screenshot(page, ARTIFACTS / f"jupyterlab_{LESSON.stem}.png")
        remote = recorded.remote()
    assert remote == [], "JupyterLab asked the network for something"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
