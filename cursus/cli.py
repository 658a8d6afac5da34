"""The command line: parse options, call one worker function, report."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
from pathlib import Path

import click

from cursus import __version__
from cursus.builders import FORMATS, BuildOptions
from cursus.diagnostics import Diagnostics
from cursus.parallel import cores

COURSE = click.argument("course", type=click.Path(path_type=Path), default="modules", required=False)
STRICT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")
JOBS = click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Processes to use at most  [default: one per core].")


class Console:
    """Print diagnostics and progress to stderr; the pipeline never prints itself."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def diagnostics(self, diagnostics: Diagnostics) -> None:
        for item in diagnostics.errors + diagnostics.warnings:
            colour = "red" if item.severity == "error" else "yellow"
            click.secho(str(item), fg=colour, err=True)

    @contextlib.contextmanager
    def step(self, name: str):
        start = time.perf_counter()
        shown = not self.quiet and name not in ("load", "check")
        if shown:
            click.echo(f"  {name} ...", err=True, nl=False)
        try:
            yield
        except BaseException:
            if shown:
                click.echo(" failed", err=True)
            raise
        if shown:
            click.echo(f" {time.perf_counter() - start:.2f} s", err=True)

    def took(self, name: str, seconds: float) -> None:
        if not self.quiet:
            click.echo(f"  {name} ... {seconds:.2f} s (alongside)", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cursus")
def main() -> None:
    """Turn a course written in Markdown into SCORM packages, a website and PDF workbooks."""


def run() -> None:
    """Run ``main`` as the ``cursus`` program, a process of its own, and end it without tidying up.

    A build makes hundreds of thousands of small objects and almost none in reference cycles, so the
    cycle collector runs after 100,000 new objects instead of 700: in a web and SCORM build of 150
    modules it ran some 400 times in its four processes, for 110 to 130 ms, and now not at all; the
    peak memory of a 1,500-module build stays the same. And once the output is written, the process
    leaves without freeing those objects one by one (about 50 ms): only the standard streams still
    need flushing. ``main`` itself, as tests and other programs call it, changes neither."""
    gc.set_threshold(100_000)
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)


@main.command("check")
@COURSE
@STRICT
@JOBS
def check_command(course: Path, strict: bool, jobs: int | None) -> None:
    """Check COURSE (default: modules/) and print a summary with the goal alignment table."""
    from cursus.build import check
    from cursus.summary import summary_lines

    loaded = check(course, strict, Console(), jobs=jobs or cores())
    click.echo("\n".join(summary_lines(loaded.course)))


@main.command("build")
@COURSE
@click.option("--format", "-f", "formats", multiple=True, type=click.Choice(list(FORMATS)), help="Output format; repeat for several (default: all).")
@click.option("--out", "-o", type=click.Path(path_type=Path), default="build", show_default=True, help="Output folder.")
@click.option("--module", "module", metavar="ID", help="Build one module only (SCORM package, PDF handout).")
@click.option("--single-sco", is_flag=True, help="Pack the whole course as one SCO (SCORM formats).")
@STRICT
@JOBS
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
def build_command(course: Path, formats: tuple, out: Path, module: str | None, single_sco: bool, strict: bool,
                  jobs: int | None, quiet: bool) -> None:
    """Build COURSE (default: modules/) into the output folder."""
    from cursus.build import build

    options = BuildOptions(strict=strict, module=module, single_sco=single_sco, jobs=jobs or cores())
    build(course, out, list(formats), options, Console(quiet))
    if not quiet:
        click.echo(f"Built {', '.join(formats or FORMATS)} into {out}/", err=True)


@main.command("serve")
@COURSE
@click.option("--port", "-p", default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option("--out", "-o", type=click.Path(path_type=Path), default="build", show_default=True, help="Output folder.")
def serve_command(course: Path, port: int, out: Path) -> None:
    """Preview the web version of COURSE on 127.0.0.1, rebuilding and reloading on every change."""
    from cursus.serve import serve

    serve(course, out, port)


@main.command("verify")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_command(package: Path) -> None:
    """Check a SCORM PACKAGE.zip before uploading it to an LMS."""
    from cursus.verify import verify

    verify(package)


@main.group("new")
def new_group() -> None:
    """Create a course or a module from a template."""


@new_group.command("course")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--title", default="Nieuwe cursus", help="The course title.")
@click.option("--language", type=click.Choice(["nl", "en"]), default="nl", show_default=True)
def new_course_command(directory: Path, title: str, language: str) -> None:
    """Create a minimal valid course in DIRECTORY."""
    from cursus.scaffold import new_course

    click.echo(f"Created {new_course(directory, title, language)}")


@new_group.command("module")
@click.argument("name")
@click.option("--course", "course", type=click.Path(path_type=Path), default="modules", show_default=True)
@click.option("--title", default=None, help="The module title (default: from NAME).")
@click.option("--part", default=None, help="The id of the part to add it to (default: the last part).")
def new_module_command(name: str, course: Path, title: str | None, part: str | None) -> None:
    """Create module NAME in the course and list it in course.yml."""
    from cursus.scaffold import new_module

    click.echo(f"Created {new_module(course, name, title, part)}")
