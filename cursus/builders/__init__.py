"""Output formats: each builder turns the course model into the files of one format."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable, ClassVar

from cursus.cache import RenderCache
from cursus.diagnostics import Diagnostics
from cursus.model import LEARNER, Course
from cursus.output import OutputFolder

FORMATS = {
    "web": "cursus.builders.web:WebBuilder",
    "scorm12": "cursus.builders.scorm:Scorm12Builder",
    "scorm2004": "cursus.builders.scorm:Scorm2004Builder",
    "workbook": "cursus.builders.pdf:WorkbookBuilder",
    "trainer": "cursus.builders.pdf:TrainerGuideBuilder",
}
"""Every format by name, imported only when it is built (WeasyPrint is slow to import)."""


@dataclass
class BuildOptions:
    """Options from the command line that builders may use."""

    strict: bool = False
    module: str | None = None
    """Build one module only (SCORM package or PDF handout)."""
    single_sco: bool = False
    """Pack the whole course as one SCO."""
    jobs: int = 1
    """Processes that may work at once (the command line gives one per core)."""
    extra: dict = field(default_factory=dict)


class Builder:
    """Base class: a builder writes one format's files for one view of the course."""

    name: ClassVar[str] = ""
    folder: ClassVar[str] = ""
    """The folder below the output folder this format publishes."""
    audience: ClassVar[str] = LEARNER
    """``learner`` builders receive the course with all trainer-only content removed."""
    merge: ClassVar[bool] = False
    """True when several formats share the folder, so files are merged rather than the folder replaced."""
    background: ClassVar[bool] = False
    """True when ``build`` only starts work that runs elsewhere (PDF worker processes) and ``finish`` waits for it."""
    start: ClassVar[int] = 0
    """Builders start in this order, lowest first: those whose work goes on in the background after
    ``build`` (PDF layout, zips) before the others, the longest first."""
    family: ClassVar[str] = ""
    """Builders of one family share rendered pages, so they run in the same process."""
    cached_extras: ClassVar[tuple[str, ...]] = ()
    """The extras (by path) whose making keeps something in the builder's page cache: in a build
    with forked processes, the process that saves that cache makes them."""
    screen_bodies: ClassVar[bool] = False
    """True when its pages show module bodies as a web page does (``Module.learner_html``): the
    loader then renders each body that way once, for all such builders."""

    def __init__(self, options: BuildOptions, diagnostics: Diagnostics, pages: RenderCache | None = None):
        self.options = options
        self.diagnostics = diagnostics
        self.pages = RenderCache(None) if pages is None else pages
        """Rendered pages of earlier builds (under the output folder's ``.cache/``), for builders that reuse them."""

    def prepare(self) -> None:
        """Start what can start before the course is loaded (PDF worker processes)."""

    def build(self, course: Course, out: OutputFolder) -> None:
        """Write this format's files."""
        raise NotImplementedError

    def extras(self, course: Course) -> list[tuple[str, Callable[[], bytes]]]:
        """Return the files of this format that ``build`` leaves out because they need nothing it
        made: each as its path in the output and a function that returns its bytes (media to copy,
        pages that show the whole course). Whichever process is free makes the next one, so a
        builder that runs in a forked process shares them with its parent."""
        return []

    def finish(self) -> None:
        """Complete work that ``build`` started in the background (PDFs render in parallel)."""

    def close(self) -> None:
        """Release what ``prepare`` started and the build did not use (it stopped early)."""


def builder_class(name: str) -> type[Builder]:
    """Import and return the builder registered under *name*."""
    module_name, class_name = FORMATS[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)
