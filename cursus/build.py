"""The pipeline: load, check, then run each requested builder and publish the output at once."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator, Protocol

from cursus.cache import RenderCache
from cursus.builders import FORMATS, BuildOptions, builder_class
from cursus.checks import check_course
from cursus.diagnostics import CourseInvalid, CursusError, Diagnostics
from cursus.loader import Loaded, load_course
from cursus.model import LEARNER, TRAINER, Course, for_learners
from cursus.output import OutputTree

CACHE = ".cache"
"""The folder below the output folder where unchanged modules and pages are kept rendered between builds."""


class Reporter(Protocol):
    """What the pipeline tells the person running it; the CLI decides how it looks."""

    def diagnostics(self, diagnostics: Diagnostics) -> None: ...

    def step(self, name: str) -> contextlib.AbstractContextManager: ...


class Silent:
    """A reporter that says nothing (for tests and the benchmark)."""

    def diagnostics(self, diagnostics: Diagnostics) -> None:
        pass

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        yield


def check(course_dir: Path, strict: bool = False, reporter: Reporter = Silent(), cache: RenderCache | None = None) -> Loaded:
    """Load and check a course; report every problem; raise if the course cannot be built."""
    diagnostics = Diagnostics()
    with reporter.step("load"):
        loaded = load_course(Path(course_dir), diagnostics, cache)
    with reporter.step("check"):
        check_course(loaded, diagnostics)
    reporter.diagnostics(diagnostics)
    if diagnostics.failed(strict) or loaded.course is None:
        raise CourseInvalid(diagnostics, strict)
    return loaded


def build(course_dir: Path, out_dir: Path, formats: list[str], options: BuildOptions, reporter: Reporter = Silent()) -> Course:
    """Build the requested formats of a course into *out_dir*; on any failure, publish nothing."""
    cache = RenderCache(Path(out_dir) / CACHE)
    pages = RenderCache(Path(out_dir) / CACHE, "pages.pickle")
    course = check(course_dir, options.strict, reporter, cache).course
    _check_module_option(course, options)
    views = {TRAINER: course, LEARNER: for_learners(course)}
    diagnostics = Diagnostics()
    builders = [builder_class(name)(options, diagnostics, pages) for name in formats or list(FORMATS)]
    with OutputTree(out_dir) as tree:
        for builder in builders:
            with reporter.step(builder.name):
                builder.build(views[builder.audience], tree.folder(builder.folder, builder.merge))
        with reporter.step("finishing"):
            for builder in builders:
                builder.finish()
        reporter.diagnostics(diagnostics)
        if diagnostics.failed(options.strict):
            raise CourseInvalid(diagnostics, options.strict)
        tree.commit()
    cache.save()
    pages.save()
    return course


def _check_module_option(course: Course, options: BuildOptions) -> None:
    """Refuse ``--module`` with an id the course does not have."""
    if options.module and course.module(options.module) is None:
        known = ", ".join(m.id for m in course.modules)
        raise CursusError(f"--module: no module with id '{options.module}' (known: {known})")
