"""``cursus serve``: it serves, rebuilds on a change, reloads the page and survives source errors."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BROKEN_GOAL = ("goals=lg1 lines=4", "goals=lg9 lines=4")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    """Return the status and text of a URL, also for error statuses."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def wait_for(condition, what: str, timeout: float = 30.0):
    """Poll *condition* until it returns something true; fail after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = condition()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def status(base: str) -> dict:
    return json.loads(fetch(base + "/_cursus/status")[1])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


@pytest.fixture
def serving(mini, tmp_path):
    """Start ``cursus serve`` on the mini course in a subprocess; yield its base URL and log file."""
    port = free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cursus", "serve", str(mini), "--out", str(tmp_path / "out"), "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: process.poll() is not None or status(base), "the server to start")
        assert process.poll() is None, log_path.read_text()
        yield base, process, log_path
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_rebuilds_reloads_and_reports_errors_without_dying(serving, mini, page):
    base, process, log = serving
    code, index = fetch(base + "/")
    assert code == 200 and "/_cursus/reload.js" in index
    page.goto(base + "/een.html")
    assert page.text_content("h1") == "Module één"

    edit(mini / "01-een.md", "title: Module één", "title: Module bewerkt")
    page.wait_for_function("document.querySelector('h1').textContent === 'Module bewerkt'", timeout=30000)
    assert "<h1>Module bewerkt</h1>" in fetch(base + "/een.html")[1]

    edit(mini / "01-een.md", *BROKEN_GOAL)
    errors = wait_for(lambda: status(base)["errors"], "the source error")
    assert any("unknown goal 'lg9'" in error for error in errors)
    page.wait_for_selector("#cursus-serve-errors", timeout=30000)
    assert "unknown goal 'lg9'" in page.text_content("#cursus-serve-errors")
    assert "unknown goal 'lg9'" in log.read_text()
    assert process.poll() is None
    assert fetch(base + "/een.html")[0] == 200  # the last good build is still served

    edit(mini / "01-een.md", *reversed(BROKEN_GOAL))
    wait_for(lambda: not status(base)["errors"], "the error to clear")
    page.wait_for_function("!document.getElementById('cursus-serve-errors')", timeout=30000)


def test_serve_shows_errors_when_the_first_build_fails(mini, tmp_path):
    edit(mini / "01-een.md", *BROKEN_GOAL)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cursus", "serve", str(mini), "--out", str(tmp_path / "out"), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: process.poll() is not None or status(base), "the server to start")
        code, text = fetch(base + "/")
        assert code == 503 and "unknown goal &#39;lg9&#39;" in text
        edit(mini / "01-een.md", *reversed(BROKEN_GOAL))
        wait_for(lambda: fetch(base + "/")[0] == 200, "the fixed course to be served")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_port_in_use_is_reported_before_anything_is_built(mini, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "cursus", "serve", str(mini), "--out", str(tmp_path / "out"), "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
