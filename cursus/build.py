"""The pipeline: load, check, then run each requested builder and publish the output at once."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Iterator, Protocol

from cursus.cache import RenderCache
from cursus.builders import FORMATS, BuildOptions, Builder, builder_class
from cursus.checks import check_course
from cursus.diagnostics import CourseInvalid, CursusError, Diagnostics
from cursus.loader import Loaded, load_course
from cursus.model import LEARNER, TRAINER, Course, for_learners
from cursus.output import OutputFolder, OutputTree
from cursus.parallel import ForkedCall, can_fork
from cursus.templating import template_errors

CACHE = ".cache"
"""The folder below the output folder where unchanged modules and pages are kept rendered between builds."""


class Reporter(Protocol):
    """What the pipeline tells the person running it; the CLI decides how it looks."""

    def diagnostics(self, diagnostics: Diagnostics) -> None: ...

    def step(self, name: str) -> contextlib.AbstractContextManager: ...

    def took(self, name: str, seconds: float) -> None:
        """Report a step that ran elsewhere (in another process) and how long it took."""


class Silent:
    """A reporter that says nothing (for tests and the benchmark)."""

    def diagnostics(self, diagnostics: Diagnostics) -> None:
        pass

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        yield

    def took(self, name: str, seconds: float) -> None:
        pass


def check(course_dir: Path, strict: bool = False, reporter: Reporter = Silent(), cache: RenderCache | None = None,
          jobs: int = 1) -> Loaded:
    """Load and check a course; report every problem; raise if the course cannot be built."""
    diagnostics = Diagnostics()
    with reporter.step("load"):
        loaded = load_course(Path(course_dir), diagnostics, cache, jobs)
    with reporter.step("check"):
        check_course(loaded, diagnostics)
    reporter.diagnostics(diagnostics)
    if diagnostics.failed(strict) or loaded.course is None:
        raise CourseInvalid(diagnostics, strict)
    return loaded


def build(course_dir: Path, out_dir: Path, formats: list[str], options: BuildOptions, reporter: Reporter = Silent()) -> Course:
    """Build the requested formats of a course into *out_dir*; on any failure, publish nothing."""
    cache = RenderCache(Path(out_dir) / CACHE)
    # Pages are kept per family, so a build of some formats (``cursus serve`` builds the website)
    # leaves the pages of the others in the cache for the next full build.
    pages: dict[str, RenderCache] = {}
    diagnostics = Diagnostics()
    builders = []
    for name in formats or list(FORMATS):
        kind = builder_class(name)
        family = kind.family or kind.name
        if family not in pages:
            pages[family] = RenderCache(Path(out_dir) / CACHE, f"pages-{family}.pickle")
        builders.append(kind(options, diagnostics, pages[family]))
    try:
        for builder in builders:
            builder.prepare()
        course = check(course_dir, options.strict, reporter, cache, options.jobs).course
        _check_module_option(course, options)
        views = {TRAINER: course, LEARNER: for_learners(course)}
        caches = [cache, *pages.values()]
        with OutputTree(out_dir) as tree:
            _run_builders(builders, views, tree, reporter, options.jobs, caches)
            reporter.diagnostics(diagnostics)
            if diagnostics.failed(options.strict):
                raise CourseInvalid(diagnostics, options.strict)
            tree.commit()
    finally:
        for builder in builders:
            builder.close()
    for done in caches:
        done.save()
    return course


def _run_builders(builders: list[Builder], views: dict[str, Course], tree: OutputTree, reporter: Reporter, jobs: int,
                  caches: list[RenderCache] = ()) -> None:
    """Run every builder: those that work in the background (the PDFs) start first, longest first; the
    others are grouped by family and, with *jobs* > 1, all but one group run in forked processes.

    A forked group saves its family's page cache itself; this process saves the other *caches* while
    it waits for the forked groups (entries are found by content, so a build that fails after saving
    leaves nothing wrong in them)."""
    background = sorted((b for b in builders if b.background), key=lambda b: b.start)
    families: dict[str, list[Builder]] = {}
    for builder in builders:
        if not builder.background:
            families.setdefault(builder.family or builder.name, []).append(builder)
    groups = sorted(families.values(), key=lambda group: min(b.start for b in group))
    forked = [Forked(group, views, tree) for group in groups[1:jobs]] if jobs > 1 and can_fork() else []
    try:
        for builder in background + [b for group in groups[:1] + groups[len(forked) + 1:] for b in group]:
            with reporter.step(builder.name), template_errors():
                folder = tree.folder(builder.folder, builder.merge)
                builder.build(views[builder.audience], folder)
                copy_files(builder, views[builder.audience], folder)
        if forked:
            # While the forked groups go on: their copies, and saving the caches they do not use.
            for child in forked:
                for builder, folder in zip(child.builders, child.folders):
                    copy_files(builder, views[builder.audience], folder)
            handed = {id(b.pages) for child in forked for b in child.builders}
            for cache in caches:
                if id(cache) not in handed:
                    cache.save()
        for child in forked:
            for name, seconds in child.join():
                reporter.took(name, seconds)
    finally:
        # On failure, no process may go on writing into the staging folder that is about to be removed.
        for child in forked:
            child.stop()
    with reporter.step("finishing"):
        for builder in builders:
            if not any(builder in child.builders for child in forked):
                builder.finish()


def copy_files(builder: Builder, course: Course, folder: OutputFolder) -> None:
    """Copy the files a builder takes from the course as they are (its ``copies``) into its folder."""
    for source, target in builder.copies(course):
        folder.copy(source, target)


class Forked:
    """Builders that run one after the other in a forked process; ``join`` takes over what they did.

    The process writes into the same staging folders and saves its family's page cache; it sends back
    the paths it wrote and its diagnostics, so the build goes on as if it had run them itself."""

    def __init__(self, builders: list[Builder], views: dict[str, Course], tree: OutputTree):
        self.builders = builders
        self.folders = [tree.folder(b.folder, b.merge) for b in builders]
        self.call = ForkedCall(lambda: self._work(views), f"building {builders[0].name}")

    def _work(self, views: dict[str, Course]) -> tuple:
        """In the child: build and finish each builder; return what the parent must know."""
        first = self.builders[0]
        known = len(first.diagnostics.items)
        times = []
        for builder, folder in zip(self.builders, self.folders):
            start = time.perf_counter()
            with template_errors():
                builder.build(views[builder.audience], folder)
            builder.finish()
            times.append((builder.name, time.perf_counter() - start))
        first.pages.save()
        return times, [f.written for f in self.folders], first.diagnostics.items[known:]

    def stop(self) -> None:
        """End the process if it still runs."""
        self.call.stop()

    def join(self) -> list[tuple[str, float]]:
        """Wait for the process; take over its written files, diagnostics and pages; return each builder's time."""
        times, written, problems = self.call.result()
        for folder, paths in zip(self.folders, written):
            for path in paths:
                folder.claim(path)
        self.builders[0].diagnostics.items.extend(problems)
        self.builders[0].pages.saved_elsewhere()
        return times


def _check_module_option(course: Course, options: BuildOptions) -> None:
    """Refuse ``--module`` with an id the course does not have."""
    if options.module and course.module(options.module) is None:
        known = ", ".join(m.id for m in course.modules)
        raise CursusError(f"--module: no module with id '{options.module}' (known: {known})")
