"""The course model: what the loader produces and every output format reads."""

from __future__ import annotations

import dataclasses
import datetime
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

TRAINER = "trainer"
SHEET = "sheet"
"""A copy sheet of an exercise (role cards, a form): printed for the trainer to copy, never shown to learners."""
LEARNER = "learner"
RESERVED_IDS = ("index", "glossary", "sources", "reflections", "launch")
"""Ids no module may have: a module's page is ``<id>.html``, beside the website's start, glossary,
sources and reflections pages and a single-SCO package's launch page."""


@dataclass(frozen=True)
class Goal:
    """A learning goal of a module."""

    id: str
    text: str
    line: int = 0


@dataclass(frozen=True)
class Option:
    """One answer option of a knowledge check."""

    html: str
    correct: bool
    feedback_html: str
    line: int = 0


@dataclass(frozen=True)
class Source:
    """One reference in a sources block."""

    html: str
    text: str
    """The reference as plain text, for search, manifests and plain outputs."""
    urls: tuple[str, ...]


@dataclass(frozen=True)
class Html:
    """Rendered Markdown prose between blocks."""

    html: str
    kind: str = "html"


@dataclass(frozen=True)
class Block:
    """A fenced block (reflection, exercise, check, ...), rendered once."""

    kind: str
    """reflection, exercise, materials, steps, debrief, sheet, check, case, example, term, sources, trainer."""
    id: str
    """Stable id within the course (reflections, exercises, checks, cases); a slug for others."""
    title: str
    goals: tuple[str, ...]
    """Ids of the module's learning goals this block serves."""
    attrs: dict
    """The remaining attributes of the opening fence (duration, group, lines, mode, layout)."""
    body: tuple
    """Rendered content in order: ``Html`` pieces and nested ``Block`` objects."""
    line: int = 0
    text: str = ""
    """The block's own prose as plain text (question of a reflection, term definition)."""
    options: tuple[Option, ...] = ()
    """Knowledge checks only."""
    sources: tuple[Source, ...] = ()
    """Sources blocks only."""
    level: int = 3
    """The heading level of the block's own heading, so the page's outline never skips a level."""

    def children(self, kind: str) -> list[Block]:
        """Return the nested blocks of one kind."""
        return [node for node in self.body if isinstance(node, Block) and node.kind == kind]

    @property
    def html(self) -> str:
        """Return the prose of this block (without nested blocks) as one HTML string."""
        return "".join(node.html for node in self.body if isinstance(node, Html))

    @property
    def trainer_only(self) -> bool:
        """Tell whether only trainer outputs may show this block: trainer notes, and copy sheets,
        which may hold what a role card keeps from the others."""
        return self.kind in (TRAINER, SHEET)

    @property
    def multiple(self) -> bool:
        """Tell whether a knowledge check accepts several correct options."""
        return self.attrs.get("mode") == "multiple"


@dataclass(frozen=True)
class Heading:
    """A section heading in a module body, for its table of contents."""

    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Media:
    """A file a module uses, copied into every output."""

    source: Path
    target: str
    """Path in the output, relative to the output root: ``media/<module-id>/<name>``."""


@dataclass(frozen=True)
class Module:
    """One module: front matter plus its rendered body."""

    id: str
    title: str
    part: str
    duration: int
    summary: str
    goals: tuple[Goal, ...]
    body: tuple
    """``Html`` and ``Block`` nodes in reading order."""
    headings: tuple[Heading, ...]
    """Every heading of the body, at every level and inside blocks too."""
    media: tuple[Media, ...]
    path: Path
    """The module's Markdown file."""
    stem: str
    """The name course.yml lists it by."""
    lines: object = None
    """Line numbers of the front matter keys (a ``cursus.source.Lines``), for diagnostics."""
    rendered_from: str = field(default="", repr=False, compare=False)
    """The hash of everything the body, headings and media were rendered from (the render cache's
    key), so that a page cache can recognise the module without reading its whole body."""
    learner_html: str = field(default="", repr=False, compare=False)
    """The learner view of the body as a web page shows it (``partials/body.html``, medium 'screen'),
    rendered while loading so that the website and the SCORM packages share it; empty when it was
    not. A module made from this one with other content in its body (``dataclasses.replace``)
    must empty it; ``for_learners`` keeps it, since it makes exactly the body it was rendered from."""

    def blocks(self, kind: str | None = None) -> list[Block]:
        """Return every block of the module (nested ones too), optionally of one kind."""
        return list(self._blocks if kind is None else self._kinds.get(kind, ()))

    @functools.cached_property
    def _kinds(self) -> dict[str, list[Block]]:
        """The blocks of each kind, in reading order."""
        kinds: dict[str, list[Block]] = {}
        for block in self._blocks:
            kinds.setdefault(block.kind, []).append(block)
        return kinds

    @functools.cached_property
    def _blocks(self) -> tuple[Block, ...]:
        """Every block in reading order, found once: checks, builders and pages all ask for them."""
        found: list[Block] = []
        stack = list(reversed(self.body))
        while stack:
            node = stack.pop()
            if isinstance(node, Block):
                found.append(node)
                stack.extend(reversed(node.body))
        return tuple(found)

    @property
    def contents(self) -> list[Heading]:
        """The module's table of contents: its level-2 section headings."""
        return [heading for heading in self.headings if heading.level == 2]

    @property
    def filename(self) -> str:
        """The module's page name in the web and SCORM outputs."""
        return f"{self.id}.html"


@dataclass(frozen=True)
class Part:
    """A group of modules (Signaleren, Ondersteunen, ...)."""

    id: str
    title: str
    modules: tuple[Module, ...]


@dataclass(frozen=True)
class Session:
    """A suggested session for trainers running the course in a classroom."""

    title: str
    minutes: int
    modules: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Course:
    """A whole course, loaded, rendered and checked."""

    id: str
    title: str
    subtitle: str
    language: str
    version: str
    date: datetime.date | None
    authors: tuple[str, ...]
    license: str
    license_url: str
    description: str
    keywords: tuple[str, ...]
    audience: tuple[str, ...]
    study_load: int
    based_on: str
    completion_rule: str
    mastery_score: int
    answer_storage: str
    theme: dict
    schedule: tuple[Session, ...]
    parts: tuple[Part, ...]
    root: Path
    audience_view: str = TRAINER
    """Which view this is: the full course (trainer) or the learner's view without trainer notes."""

    @property
    def modules(self) -> list[Module]:
        """Return every module in course order."""
        return [module for part in self.parts for module in part.modules]

    def module(self, module_id: str) -> Module | None:
        """Return the module with this id, if any."""
        return next((m for m in self.modules if m.id == module_id), None)

    @property
    def minutes(self) -> int:
        """The total duration of all modules."""
        return sum(module.duration for module in self.modules)

    def terms(self) -> list[tuple[Module, Block]]:
        """Return every glossary term with its module, sorted by term."""
        pairs = [(m, b) for m in self.modules for b in m.blocks("term")]
        return sorted(pairs, key=lambda pair: pair[1].title.casefold())


def for_learners(course: Course) -> Course:
    """Return the course as learners may see it: every trainer-only block removed.

    This is the one place that keeps trainer notes out of learner outputs; every learner-facing
    builder (web, SCORM, participant workbook) must be handed the result of this function.
    """
    parts = tuple(
        dataclasses.replace(part, modules=tuple(_learners_module(module) for module in part.modules))
        for part in course.parts
    )
    return dataclasses.replace(course, parts=parts, audience_view=LEARNER)


T = TypeVar("T")


def remembered(store: dict, owner: object, make: Callable[[], T], keep: int = 4) -> T:
    """Return what *make* made for the object *owner* (by identity), making it on first use. The
    owner is kept alive in *store* with it, so its id is not reused; the *keep* latest stay."""
    if id(owner) not in store:
        while len(store) >= keep:
            del store[next(iter(store))]
        store[id(owner)] = (owner, make())
    return store[id(owner)][1]


_LEARNER_BODIES: dict = {}
"""Bodies without their trainer blocks, by body: a module taken from the render cache has the same
body in every rebuild of a process (``cursus serve``)."""


def _learners_module(module: Module) -> Module:
    """Return the module without its trainer blocks (the module itself when it has none)."""
    if not has_trainer_blocks(module):
        return module
    body = remembered(_LEARNER_BODIES, module.body, lambda: without_trainer(module.body), keep=10_000)
    return dataclasses.replace(module, body=body)


def has_trainer_blocks(module: Module) -> bool:
    """Tell whether the module still holds trainer-only blocks (the trainer's view of it)."""
    return any(block.trainer_only for block in module._blocks)


def without_trainer(nodes: tuple) -> tuple:
    """Drop trainer blocks from a body, at every depth; a body without any is returned as it is."""
    kept = []
    for node in nodes:
        if isinstance(node, Block):
            if node.trainer_only:
                continue
            body = without_trainer(node.body)
            if body is not node.body:
                node = dataclasses.replace(node, body=body)
        kept.append(node)
    return nodes if len(kept) == len(nodes) and all(a is b for a, b in zip(kept, nodes)) else tuple(kept)
