"""Building on several cores gives exactly what building on one gives, problems included."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.generate import generate
from conftest import ROOT, run
from cursus.loader import PARALLEL_MIN


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A synthetic course with more modules than the loader renders in one process."""
    count = PARALLEL_MIN + 6
    return generate(count, tmp_path_factory.mktemp("parallel") / "course")


def _files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for name in ("web", "scorm12", "scorm2004") for p in sorted((out / name).rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize("jobs", ["2", "3"])
def test_one_and_several_processes_build_the_same_bytes(course: Path, tmp_path: Path, jobs: str):
    """Two processes share the Markdown and then build a family each (the partner); three or more
    render the Markdown in a pool and then fork the second family."""
    # As a person types it: a test process may hold threads (the browser's) and then never forks.
    formats = [arg for name in ("web", "scorm12", "scorm2004") for arg in ("--format", name)]
    command = [sys.executable, "-m", "cursus", "build", str(course), *formats, "--jobs"]
    one = subprocess.run([*command, "1", "--out", str(tmp_path / "one")], capture_output=True, text=True, cwd=ROOT)
    several = subprocess.run([*command, jobs, "--out", str(tmp_path / "several")], capture_output=True, text=True, cwd=ROOT)

    assert one.returncode == 0 and several.returncode == 0, one.stderr + several.stderr
    assert "web ... " in several.stderr and "(alongside)" in several.stderr and "alongside" not in one.stderr, \
        "with more than one job the website builds in a process of its own"
    serial, parallel = _files(tmp_path / "one"), _files(tmp_path / "several")
    assert len(serial) > PARALLEL_MIN
    assert sorted(serial) == sorted(parallel)
    assert [name for name in serial if serial[name] != parallel[name]] == []


SLOW_CHECKS = (
    "import cursus.build\nchecks = cursus.build.check_course\n"
    "def slow(*args):\n    time.sleep(0.5)\n    return checks(*args)\n"
    "cursus.build.check_course = slow\n"
)
"""Checks slowed down, so that the website's process has finished and staged its page cache when they fail."""


def test_a_course_that_fails_its_checks_while_the_website_builds_leaves_nothing(course: Path, tmp_path: Path):
    """With two processes the website's process starts building before the parent has checked the
    course; when the checks find a mistake, that process is stopped and what it staged removed before
    the staging folder goes, so nothing is left, not even the output folder the build made."""
    broken = tmp_path / "course"
    subprocess.run(["cp", "-r", str(course), str(broken)], check=True)
    first = sorted(p for p in broken.rglob("*.md") if p.name != "README.md")[0]
    first.write_text(first.read_text("utf-8") + "\nZie ook [elders](" + first.name + "#bestaat-niet).\n", "utf-8")
    out = tmp_path / "out"
    script = (
        "import sys, time\nimport cursus.cli\n" + SLOW_CHECKS +
        f"sys.argv = ['cursus', 'build', {str(broken)!r}, '-f', 'web', '-f', 'scorm12', '-f', 'scorm2004', '--jobs', '2', '--out', {str(out)!r}]\n"
        "cursus.cli.main()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)

    assert result.returncode == 1 and "#bestaat-niet' does not exist" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists(), sorted(str(p.relative_to(out)) for p in out.rglob("*"))[:5]


def test_a_problem_found_in_a_worker_is_reported_with_its_line(course: Path, tmp_path: Path):
    broken = tmp_path / "course"
    subprocess.run(["cp", "-r", str(course), str(broken)], check=True)
    last = sorted(p for p in broken.rglob("*.md") if p.name != "README.md")[-1]
    lines = last.read_text("utf-8").splitlines()
    heading = next(i for i, line in enumerate(lines) if line.startswith("## "))
    lines[heading] = "# " + lines[heading][3:]
    last.write_text("\n".join(lines) + "\n", "utf-8")
    # In a process of its own, so that the workers really fork (a test process may hold threads).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-m", "cursus", "check", "course", "--jobs", "2"], capture_output=True, text=True, cwd=tmp_path, env=env)

    assert result.returncode == 1
    assert f"{last.relative_to(tmp_path)}:{heading + 1}: error: heading: use '##'" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_fork_map_spreads_work_over_processes():
    script = (
        "import os, time\n"
        "from cursus.parallel import fork_map\n"
        "def pid(_):\n    time.sleep(0.05)\n    return os.getpid()\n"
        "pids = fork_map(pid, list(range(8)), 2)\n"
        "print(len(pids), len(set(pids)), os.getpid() in pids)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.split() == ["8", "2", "False"]


def test_a_partner_shares_the_work_and_goes_on_with_every_result():
    script = (
        "import os, threading, time\n"
        "from cursus.parallel import Partner\n"
        "def work(n):\n    time.sleep(0.02)\n    return (n * n, os.getpid())\n"
        "partner = Partner('test')\n"
        "here = partner.share(work, list(range(12)), lambda results: [r for r, _ in results])\n"
        "there = partner.result()\n"
        "print([r for r, _ in here] == there == [n * n for n in range(12)],"
        " len({pid for _, pid in here}), threading.active_count())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True, timeout=60)
    assert result.stdout.split() == ["True", "2", "1"], "both hold every result in order, both worked, no thread is left"


def test_a_partner_that_fails_is_reported_not_waited_for():
    script = (
        "import os, time\n"
        "from cursus.parallel import Partner\n"
        "home = os.getpid()\n"
        "def work(n):\n    time.sleep(0.01)\n    if os.getpid() != home:\n        raise ValueError('broken in the partner')\n    return n\n"
        "try:\n    Partner('test').share(work, list(range(50)), lambda results: results)\n"
        "except ValueError as error:\n    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stdout.strip() == "broken in the partner", result.stdout + result.stderr


def test_pdf_workers_start_ahead_and_none_is_left_when_the_build_fails(mini: Path, tmp_path: Path, monkeypatch):
    from cursus import pdfrender

    started = []
    original = pdfrender._start
    monkeypatch.setattr(pdfrender, "_start", lambda: started.append(original()) or started[-1])
    module = mini / "01-een.md"
    module.write_text(module.read_text("utf-8").replace("duration: 30", "duration: lang"), "utf-8")

    result = run("build", mini, "--out", tmp_path / "out", "--format", "workbook", "--format", "trainer")

    assert result.exit_code == 1
    assert len(started) == 2, "each PDF format starts its worker before the course is loaded"
    assert all(process.poll() is not None for process in started), "no worker is left running"
    assert pdfrender._spare == []


def test_a_build_that_fails_while_pdfs_render_stops_them_and_leaves_no_threads(mini: Path, tmp_path: Path, monkeypatch):
    """The PDFs start first; a mistake found later (here in the website's template) ends the build at
    once: the PDF workers are stopped, not waited for, and no thread is left behind."""
    import threading

    from cursus import pdfrender

    started = []
    original = pdfrender._start
    monkeypatch.setattr(pdfrender, "_start", lambda: started.append(original()) or started[-1])
    own = mini / "templates" / "web" / "glossary.html"
    own.parent.mkdir(parents=True)
    own.write_text('{% extends "web/base.html" %}{% block main %}{{ nope.x }}{% endblock %}\n', "utf-8")

    result = run("build", mini, "--out", tmp_path / "out", "--format", "workbook", "--format", "trainer", "--format", "web")

    assert result.exit_code == 1 and "'nope' is undefined" in result.output
    assert len(started) == 2 and all(process.poll() is not None for process in started), "no worker is left running"
    assert any(process.returncode < 0 for process in started), "a worker still rendering was stopped"
    assert not [t for t in threading.enumerate() if t.name.startswith("cursus-pdf")]
    assert not (tmp_path / "out" / "pdf").exists()


def test_after_printing_pdfs_no_thread_is_left(mini: Path, tmp_path: Path):
    """A process that printed PDFs (a test run, a script using cursus) can still fork workers afterwards."""
    import threading

    assert run("build", mini, "--out", tmp_path / "out", "--format", "workbook").exit_code == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("cursus-pdf")]
