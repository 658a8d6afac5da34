"""The command line as a user meets it: version, help, check summary, scaffolding."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import COURSE, run


def test_version_and_module_entry_point():
    result = run("--version")
    assert result.exit_code == 0 and result.output.startswith("cursus, version ")
    module = subprocess.run([sys.executable, "-m", "cursus", "--version"], capture_output=True, text=True)
    assert module.returncode == 0 and module.stdout == result.output


def test_the_program_ends_fast_without_losing_output(mini: Path, tmp_path: Path):
    """``cursus`` as a program leaves without tidying up (``cli.run``): everything it printed still
    arrives, through pipes, with the same exit code as ``main`` run in this process."""
    def program(*args):
        return subprocess.run([sys.executable, "-m", "cursus", *map(str, args)], capture_output=True, text=True)

    summary = program("check", COURSE)
    assert summary.returncode == 0 and summary.stdout == run("check", COURSE).stdout
    assert len(summary.stdout.splitlines()) > 60  # more than one buffer's worth of lines, all there

    (mini / "01-een.md").write_text("geen front matter\n", "utf-8")
    failed = program("build", mini, "--out", tmp_path / "out")
    assert failed.returncode == 1
    assert "01-een.md:1: error:" in failed.stderr and "nothing was written" in failed.stderr
    assert not (tmp_path / "out").exists()
    assert program("build", "--format", "pdf-nope").returncode == 2


@pytest.mark.parametrize("command", [[], ["check"], ["build"], ["serve"], ["verify"], ["new"], ["new", "course"], ["new", "module"]])
def test_every_command_has_help(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 3


def test_check_summary_of_the_mini_course(mini: Path):
    result = run("check", mini, "--strict")
    assert result.exit_code == 0, result.output
    assert "2 parts, 2 modules, 75 minutes" in result.output
    assert "activities: 2 reflections, 1 exercise, 2 knowledge checks, 1 case; 1 glossary term, 2 copy sheets\n" in result.output
    assert "Deel A: 1 module, 30 min" in result.output
    assert "* een/lg2: check:een-kc1, exercise:een-ex1" in result.output


def test_shipped_course_checks_strictly_with_complete_alignment():
    result = run("check", COURSE, "--strict")
    assert result.exit_code == 0, result.output
    assert "5 parts, 18 modules" in result.output
    table = [line for line in result.output.splitlines() if line.startswith("  ") and "/lg" in line]
    assert len(table) >= 18 * 3
    assert all(line.startswith("  * ") for line in table), "every goal is reflected on or assessed"


def test_new_course_and_new_module_are_valid(tmp_path: Path):
    course = tmp_path / "mijn-cursus"
    assert run("new", "course", course, "--title", "Mijn cursus").exit_code == 0
    assert run("check", course, "--strict").exit_code == 0

    created = run("new", "module", "02-tweede-stap", "--course", course, "--title", "Tweede stap")
    assert created.exit_code == 0, created.output
    assert (course / "02-tweede-stap.md").is_file()
    result = run("check", course, "--strict")
    assert result.exit_code == 0, result.output
    assert "1 part, 2 modules" in result.output

    # Dutch titles have accents: the file and id keep the letters, without the accents.
    assert run("new", "module", "03-Financiële opvoeding", "--course", course).exit_code == 0
    assert (course / "03-financiele-opvoeding.md").read_text("utf-8").startswith("---\nid: financiele-opvoeding\n")
    assert run("check", course, "--strict").exit_code == 0


def test_new_refuses_to_overwrite(tmp_path: Path):
    course = tmp_path / "c"
    run("new", "course", course)
    again = run("new", "course", course)
    assert again.exit_code == 1 and "already exists" in again.output
    run("new", "module", "extra", "--course", course)
    twice = run("new", "module", "extra", "--course", course)
    assert twice.exit_code == 1 and "already exists" in twice.output
