"""Shared fixtures: fixture courses copied to tmp_path, one shared build of the shipped course, a browser."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from filelock import FileLock

from cursus.cli import main

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "modules"
ROOTS = Path(__file__).resolve().parent / "roots"
NODE_MODULES = Path(__file__).resolve().parent / "node_modules"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--allow-file-access-from-files",
]


def run(*args: str, cwd: Path | None = None):
    """Run the cursus CLI in-process, as a user would type it; return the click Result."""
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
    with runner.isolated_filesystem(temp_dir=cwd):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def copy_root(name: str, target: Path) -> Path:
    """Copy a fixture course from tests/roots to *target* and return its folder."""
    destination = target / name
    shutil.copytree(ROOTS / name, destination)
    return destination


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A small valid course using every block type, in a fresh folder."""
    return copy_root("mini", tmp_path)


def _shared_build(tmp_path_factory, name: str, course: Path, *formats: str) -> Path:
    """Build *course* once per test run, shared by all xdist workers through a file lock."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # this run's folder, shared by its workers (never a previous run's)
    out = base / f"shared-{name}"
    with FileLock(str(out) + ".lock"):
        marker = out / ".complete"
        if not marker.exists():
            if out.exists():
                shutil.rmtree(out)
            args = ["build", str(course), "--out", str(out), "--quiet"]
            for fmt in formats:
                args += ["--format", fmt]
            result = CliRunner().invoke(main, args, catch_exceptions=False)
            assert result.exit_code == 0, result.output
            marker.write_text(json.dumps(formats))
    return out


@pytest.fixture(scope="session")
def shipped_web(tmp_path_factory) -> Path:
    """The shipped course built as a website (build/web)."""
    return _shared_build(tmp_path_factory, "shipped-web", COURSE, "web") / "web"


@pytest.fixture(scope="session")
def mini_web(tmp_path_factory) -> Path:
    """The mini fixture course built as a website."""
    return _shared_build(tmp_path_factory, "mini-web", ROOTS / "mini", "web") / "web"


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser page (own context, so no storage leaks between tests)."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
