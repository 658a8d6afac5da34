"""The pipeline: load, check, then run each requested builder and publish the output at once."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Callable, Iterator, Protocol

from cursus.cache import RenderCache
from cursus.builders import FORMATS, BuildOptions, Builder, builder_class
from cursus.checks import check_course
from cursus.diagnostics import CourseInvalid, CursusError, Diagnostics
from cursus.loader import Loaded, load_course
from cursus.model import LEARNER, TRAINER, Course, for_learners
from cursus.output import OutputFolder, OutputTree
from cursus.parallel import Cursor, ForkedCall, Partner, can_fork
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
          jobs: int = 1, partner: Forked | None = None, screens: bool = False) -> Loaded:
    """Load and check a course; report every problem; raise if the course cannot be built. A *partner*
    (builders to run in a forked process) is forked while loading and shares the rendering. With
    *screens*, each module's body is also rendered as a web page shows it (``Module.learner_html``)."""
    diagnostics = Diagnostics()
    with reporter.step("load"):
        loaded = load_course(Path(course_dir), diagnostics, cache, jobs, partner and partner.partnering(), screens)
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
    caches = [cache, *pages.values()]
    partner, published = None, False
    try:
        for builder in builders:
            builder.prepare()
        with OutputTree(out_dir) as tree:
            groups = _groups(builders)
            # With two processes, the second shares the Markdown with this one and then builds one family.
            if options.jobs == 2 and len(groups) > 1 and can_fork():
                partner = Forked(groups[1], tree, modules=cache)
            try:
                screens = any(builder.screen_bodies for builder in builders)
                course = check(course_dir, options.strict, reporter, cache, options.jobs, partner, screens).course
                _check_module_option(course, options)
                views = {TRAINER: course, LEARNER: for_learners(course)}
                _run_builders(builders, views, tree, reporter, options.jobs, caches, partner)
                reporter.diagnostics(diagnostics)
                if diagnostics.failed(options.strict):
                    raise CourseInvalid(diagnostics, options.strict)
                tree.commit()
                published = True
            finally:
                # On failure, no process may go on writing into the staging folder that is about to be
                # removed, and what the caches staged goes first (the output folder, if this build made
                # it, is removed only when empty).
                if partner is not None:
                    partner.stop()
                if not published:
                    for staged in caches:
                        staged.discard()
    finally:
        for builder in builders:
            builder.close()
    for done in caches:
        done.save()
    return course


def _groups(builders: list[Builder]) -> list[list[Builder]]:
    """Return the builders that do not work in the background, by family, in the order they start."""
    families: dict[str, list[Builder]] = {}
    for builder in builders:
        if not builder.background:
            families.setdefault(builder.family or builder.name, []).append(builder)
    return sorted(families.values(), key=lambda group: min(b.start for b in group))


def _run_builders(builders: list[Builder], views: dict[str, Course], tree: OutputTree, reporter: Reporter, jobs: int,
                  caches: list[RenderCache] = (), partner: Forked | None = None) -> None:
    """Run every builder: those that work in the background (the PDFs) start first, longest first; the
    others are grouped by family and, with *jobs* > 1, all but one group run in forked processes (the
    second group in the *partner*, when it was forked while loading).

    A forked group stages its family's page cache itself; this process stages the other *caches*
    while it waits for the forked groups (``build`` puts them in place once the build succeeded)."""
    background = sorted((b for b in builders if b.background), key=lambda b: b.start)
    groups = _groups(builders)
    if partner is not None and partner.started:
        forked = [partner]
    else:
        forked = [Forked(group, tree).start(views) for group in groups[1:jobs]] if jobs > 1 and can_fork() else []
    try:
        for builder in background + [b for group in groups[:1] + groups[len(forked) + 1:] for b in group]:
            with reporter.step(builder.name), template_errors():
                folder = tree.folder(builder.folder, builder.merge)
                builder.build(views[builder.audience], folder)
                make_extras(builder, views[builder.audience], folder)
        if forked:
            # While the forked groups go on: their extras (taking turns), and the caches they do not use.
            for child in forked:
                with template_errors():
                    child.make_extras(views)
            handed = {id(b.pages) for child in forked for b in child.builders}
            handed |= {id(child.modules) for child in forked if child.modules is not None}
            for cache in caches:
                if id(cache) not in handed:
                    cache.stage()
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


def make_extras(builder: Builder, course: Course, folder: OutputFolder) -> None:
    """Make the files ``build`` left out (the builder's ``extras``) in its folder."""
    for path, make in builder.extras(course):
        folder.write_bytes(path, make())


class Forked:
    """Builders that run one after the other in a forked process; ``join`` takes over what they did.

    The process is forked with the course at hand (``start``), or while the course loads, as the
    loader's partner (``partnering``). It writes into the same staging folders and stages its
    family's page cache; it sends back the paths it wrote, its diagnostics and the staged cache file,
    so the build goes on as if it had run them itself."""

    def __init__(self, builders: list[Builder], tree: OutputTree, modules: RenderCache | None = None):
        self.builders = builders
        self.folders = [tree.folder(b.folder, b.merge) for b in builders]
        self.call: ForkedCall | Partner | None = None
        self.extras = Cursor()
        self.staged = builders[0].pages.reserve()
        """Where the process stages its family's page cache (named here, so a failed build can remove it)."""
        self.modules = modules
        """The cache of rendered modules, which the loader's partner keeps and stages (see ``partnering``)."""
        self.staged_modules = modules.reserve() if modules is not None else None
        """Where the loader's partner stages the module cache (named here, like ``staged``)."""

    @property
    def started(self) -> bool:
        """Tell whether the process was forked."""
        return isinstance(self.call, ForkedCall) or (isinstance(self.call, Partner) and self.call.started)

    def start(self, views: dict[str, Course]) -> Forked:
        """Fork the process now, for the course's *views*."""
        self.call = ForkedCall(lambda: self._work(views), f"building {self.builders[0].name}")
        return self

    def partnering(self) -> tuple[Partner, Callable[[Course], tuple]]:
        """Return the loader's partner, not yet forked, and what it does with the course it loads.

        The partner keeps the bodies the loader rendered in its copy of the module cache (the loader
        does that in the partner, not here) and stages it with its family's pages."""
        self.call = Partner(f"building {self.builders[0].name}")
        return self.call, lambda course: self._work({TRAINER: course, LEARNER: for_learners(course)})

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
        with template_errors():
            self.make_extras(views, forked=True)
        modules = self.modules.stage(self.staged_modules) if self.modules is not None else None
        return times, [f.written for f in self.folders], first.diagnostics.items[known:], first.pages.stage(self.staged), modules

    def make_extras(self, views: dict[str, Course], forked: bool = False) -> None:
        """Make the group's extras (files its builders' ``build`` left out): this process and the
        forked one take turns, each making the next file when it is free, so neither waits long.
        Those that keep something in their family's page cache (``Builder.cached_extras``) are made
        by the forked process alone, first: it saves that cache."""
        extras, own = [], []
        for builder, folder in zip(self.builders, self.folders):
            for path, make in builder.extras(views[builder.audience]):
                (own if path in builder.cached_extras else extras).append((folder, path, make))
        for folder, path, make in own if forked else ():
            folder.write_bytes(path, make())
        while (index := self.extras.take()) < len(extras):
            folder, path, make = extras[index]
            folder.write_bytes(path, make())

    def stop(self) -> None:
        """End the process if it still runs."""
        if self.call is not None:
            self.call.stop()

    def join(self) -> list[tuple[str, float]]:
        """Wait for the process; take over its written files, diagnostics and pages; return each builder's time."""
        times, written, problems, staged, modules = self.call.result()
        for folder, paths in zip(self.folders, written):
            for path in paths:
                folder.claim(path)
        self.builders[0].diagnostics.items.extend(problems)
        self.builders[0].pages.adopt(staged)
        if self.modules is not None:
            self.modules.adopt(modules)
        return times


def _check_module_option(course: Course, options: BuildOptions) -> None:
    """Refuse ``--module`` with an id the course does not have."""
    if options.module and course.module(options.module) is None:
        known = ", ".join(m.id for m in course.modules)
        raise CursusError(f"--module: no module with id '{options.module}' (known: {known})")
