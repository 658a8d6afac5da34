"""Combine a course's modules into one printable document: the view-model the PDF templates loop over."""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass
from string import ascii_uppercase
from urllib.parse import urlsplit

import jinja2
import lxml.html

from cursus.checks import ACTIVITIES, ASSESSMENTS
from cursus.model import Block, Course, Html, Module
from cursus.summary import alignment

REFERENCES = ("id", "for", "aria-labelledby", "aria-describedby", "aria-controls")
"""Attributes that name element ids and so must follow them when ids are made unique."""
WORDS_PER_PAGE = 350
"""Words of module text on a printed page, on the low side (measured: 450 to 700 with the print
stylesheets), so that an estimate errs towards more pages."""
PAGES_PER_MODULE = 5
"""Pages a module adds besides its words: right-hand start, writing space, session plan."""
FIXED_PAGES = 8
"""Cover, colophon, contents, and the first page of each front and back section (schedule, answer key ...)."""
TAG = re.compile(r"<[^>]+>")


def anchor(module_id: str, fragment: str = "") -> str:
    """Return the in-document id of an element of a module (or of the module itself)."""
    return f"{module_id}--{fragment}" if fragment else f"mod-{module_id}"


class Localizer:
    """Make a module's rendered HTML fit one document: unique ids, in-document links, local images.

    *elsewhere* names, for a module printed in another volume, where the reader finds it
    ("zie Werkboek, deel 2"): a link to it says so after its text."""

    def __init__(self, course: Course, modules: list[Module], elsewhere: dict[str, str] | None = None):
        self.included = {module.id for module in modules}
        self.elsewhere = elsewhere or {}
        self.media = {m.target: m.source.resolve().as_uri() for module in course.modules for m in module.media}

    def __call__(self, html: str, module_id: str, keep_ids: bool = True) -> str:
        """Return *html* (a fragment of *module_id*) with ids prefixed and links resolved."""
        root = lxml.html.fragment_fromstring(html, create_parent="div")
        for element in root.iter():
            if isinstance(element.tag, str):
                self._element(element, module_id, keep_ids)
        return _inner_html(root)

    def _element(self, element, module_id: str, keep_ids: bool) -> None:
        """Rewrite the id references, link and image of one element."""
        for name in REFERENCES:
            value = element.get(name)
            if value is None:
                continue
            if name == "id" and not keep_ids:
                del element.attrib[name]
            else:
                element.set(name, " ".join(anchor(module_id, v) for v in value.split()))
        if element.get("href") is not None:
            self._link(element, module_id)
        if element.tag == "img" and element.get("src") in self.media:
            element.set("src", self.media[element.get("src")])

    def _link(self, element, module_id: str) -> None:
        """Point a link into the document, or drop it when its target is not printed."""
        href = element.get("href")
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            return
        target = parts.path.removesuffix(".html") if parts.path else module_id
        if target not in self.included or href == "#":
            del element.attrib["href"]
            if target in self.elsewhere:
                element.tail = f" ({self.elsewhere[target]})" + (element.tail or "")
            return
        element.set("href", "#" + anchor(target, parts.fragment))


@dataclass(frozen=True)
class Link:
    """A labelled in-document link."""

    label: str
    anchor: str


@dataclass(frozen=True)
class Activity:
    """One row of a module's session plan."""

    kind: str
    label: str
    title: str
    anchor: str
    minutes: int
    group: str
    materials_html: str
    sheets: tuple[Link, ...] = ()
    """The exercise's copy sheets, printed at the back of the trainer guide."""


@dataclass(frozen=True)
class Sheet:
    """A copy sheet of an exercise, printed on pages of its own at the back of the trainer guide."""

    anchor: str
    title: str
    layout: str
    """``page`` or ``cards`` (its list cut into cards)."""
    html: str
    number: int
    """The number of the module it belongs to."""
    exercise: str
    """The title of the exercise it belongs to."""


@dataclass(frozen=True)
class OptionKey:
    """One option of a knowledge check in an answer key."""

    letter: str
    html: str
    correct: bool
    feedback_html: str


@dataclass(frozen=True)
class AnswerKey:
    """The answers of one knowledge check."""

    anchor: str
    module_title: str
    question_html: str
    letters: str
    options: tuple[OptionKey, ...]


@dataclass(frozen=True)
class Chapter:
    """One module as printed: its content and what the trainer guide adds around it."""

    module: Module
    number: int
    anchor: str
    part_title: str
    html: str
    activities: tuple[Activity, ...]
    answers: tuple[AnswerKey, ...]
    sheets: tuple[Sheet, ...] = ()


@dataclass(frozen=True)
class PartView:
    """A part of the course with its printed modules."""

    id: str
    title: str
    number: int
    anchor: str
    chapters: tuple[Chapter, ...]


@dataclass(frozen=True)
class SessionView:
    """A suggested classroom session with the printed modules it covers."""

    title: str
    minutes: int
    note: str
    chapters: tuple[Chapter, ...]


@dataclass(frozen=True)
class AlignmentRow:
    """One learning goal with the activities that serve it and how it is assessed."""

    chapter: Chapter
    goal: str
    activities: tuple[Link, ...]
    assessments: tuple[Link, ...]


@dataclass(frozen=True)
class GlossaryEntry:
    """A term with its definition and the module that introduces it."""

    term: str
    html: str
    chapter: Chapter


@dataclass(frozen=True)
class Document:
    """Everything a PDF template prints, computed once."""

    course: Course
    title: str
    handout: bool
    volume: str
    """The volume's number when the document is printed in several files, else empty."""
    parts: tuple[PartView, ...]
    glossary: tuple[GlossaryEntry, ...]
    references: tuple[str, ...]
    answers: tuple[AnswerKey, ...]
    sessions: tuple[SessionView, ...]
    alignment: tuple[AlignmentRow, ...]
    exercises: tuple[tuple[Chapter, Activity], ...]
    sheets: tuple[Sheet, ...] = ()
    """The copy sheets of the printed modules (the trainer guide's; learner views have none)."""

    @property
    def chapters(self) -> list[Chapter]:
        """Every printed module in order."""
        return [chapter for part in self.parts for chapter in part.chapters]


def document(
    course: Course, env: jinja2.Environment, title: str, modules: list[Module] | None = None,
    handout: bool = False, volume: str = "", elsewhere: dict[str, str] | None = None,
) -> Document:
    """Return the view-model of a printed course, or of some of its modules (a volume, a handout;
    *elsewhere*: where a module of another volume is printed, see ``Localizer``)."""
    modules = course.modules if modules is None else modules
    localize = Localizer(course, modules, elsewhere)
    fragment = env.get_template("pdf/module.html")
    label = lambda block: _label(block, env)
    module_word = env.globals["t"]("module")
    included = {module.id for module in modules}
    parts, number = [], 0
    for index, part in enumerate(course.parts, 1):
        chapters = []
        for module in part.modules:
            number += 1
            if module.id in included:
                chapters.append(_chapter(module, number, part.title, fragment, localize, label, module_word))
        if chapters:
            parts.append(PartView(part.id, part.title, index, f"part-{part.id}", tuple(chapters)))
    return _assemble(course, title, handout, volume, tuple(parts), localize, label)


def volumes(course: Course, limit: int) -> list[tuple[str, list[Module]]]:
    """Split a course whose estimated length passes *limit* pages into volumes: one per part, a part
    that alone passes the limit split between its modules (3.1, 3.2 ...). A course that fits is one
    volume with an empty number."""
    pages = {module.id: estimate_pages(module) for module in course.modules}
    if FIXED_PAGES + sum(pages.values()) <= limit:
        return [("", course.modules)]
    found = []
    for index, part in enumerate(course.parts, 1):
        runs = _runs(list(part.modules), pages, limit - FIXED_PAGES)
        found += [(str(index) if len(runs) == 1 else f"{index}.{i}", run) for i, run in enumerate(runs, 1)]
    return found


def _runs(modules: list[Module], pages: dict[str, float], limit: float) -> list[list[Module]]:
    """Cut a part's modules into consecutive runs of at most *limit* pages (a module is never cut)."""
    runs: list[list[Module]] = []
    length = 0.0
    for module in modules:
        if not runs or length + pages[module.id] > limit:
            runs.append([])
            length = 0.0
        runs[-1].append(module)
        length += pages[module.id]
    return runs


def estimate_pages(module: Module) -> float:
    """Return a generous estimate of a module's printed pages from its word count, without laying it out."""
    texts = [node.html for node in module.body if isinstance(node, Html)]
    for block in module.blocks():
        texts.append(block.html)
        texts += [option.html + " " + option.feedback_html for option in block.options]
    words = sum(len(TAG.sub(" ", text).split()) for text in texts)
    return PAGES_PER_MODULE + words / WORDS_PER_PAGE


def _assemble(course: Course, title: str, handout: bool, volume: str, parts: tuple[PartView, ...], localize, label) -> Document:
    """Return the document with its back matter collected from the printed chapters."""
    chapters = {c.module.id: c for part in parts for c in part.chapters}
    return Document(
        course=course,
        title=title,
        handout=handout,
        volume=volume,
        parts=parts,
        glossary=tuple(
            GlossaryEntry(block.title, localize(block.html, module.id, keep_ids=False), chapters[module.id])
            for module, block in course.terms() if module.id in chapters
        ),
        references=_references(chapters.values(), localize),
        answers=tuple(key for chapter in chapters.values() for key in chapter.answers),
        sessions=_sessions(course, chapters),
        alignment=_alignment(course, chapters, label),
        exercises=tuple((c, a) for c in chapters.values() for a in c.activities if a.kind == "exercise"),
        sheets=tuple(sheet for chapter in chapters.values() for sheet in chapter.sheets),
    )


def _chapter(module: Module, number: int, part_title: str, fragment, localize, label, module_word: str) -> Chapter:
    """Render and localize one module; collect its session plan and answer keys."""
    html = localize(fragment.render(module=module, medium="print"), module.id)
    activities = tuple(_activity(module, block, label, localize) for block in module.blocks() if block.kind in ACTIVITIES)
    answers = tuple(_answer_key(module, block, localize) for block in module.blocks("check"))
    sheets = tuple(
        _sheet(module, number, exercise, sheet, localize, f"{module_word} {number}")
        for exercise in module.blocks("exercise") for sheet in exercise.children("sheet")
    )
    return Chapter(module, number, anchor(module.id), part_title, html, activities, answers, sheets)


def _sheet(module: Module, number: int, exercise: Block, block: Block, localize, where: str) -> Sheet:
    """Return a copy sheet as printed; a sheet of cards has a label on every card, its list's items,
    saying *where* it belongs ("Module 5"): several modules have role cards."""
    layout = block.attrs.get("layout", "page")
    html = localize(block.html, module.id, keep_ids=False)
    if layout == "cards":
        html = _cards(html, f"{where} · {block.title}")
    return Sheet(anchor(module.id, block.id), block.title, layout, html, number, exercise.title)


def _cards(html: str, label: str) -> str:
    """Return a sheet's HTML with each item of its lists marked as a card that carries the sheet's
    title and its number, so a card cut out of the page still says what it is."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for found in root.iterchildren("ul", "ol"):
        found.set("class", "cards")
        found.text = None
        items = list(found.iterchildren("li"))
        for number, item in enumerate(items, 1):
            item.set("class", "card")
            item.tail = None  # two cards of half the width fill a line only without a space between them
            heading = lxml.html.Element("p", {"class": "card-label"})
            heading.text = f"{label} · {number}/{len(items)}"
            heading.tail, item.text = item.text, None
            item.insert(0, heading)
    return _inner_html(root)


def _inner_html(root) -> str:
    """Return the HTML inside a fragment's wrapper element (as ``fragment_fromstring`` made it)."""
    lead = htmllib.escape(root.text or "", quote=False)
    return lead + "".join(lxml.html.tostring(child, encoding="unicode") for child in root)


def _activity(module: Module, block: Block, label, localize) -> Activity:
    """Return the session-plan row of one activity."""
    materials = "".join(localize(m.html, module.id, keep_ids=False) for m in block.children("materials"))
    minutes = block.attrs.get("duration", "")
    return Activity(
        block.kind,
        label(block),
        block.title or _first_words(block.text),
        anchor(module.id, block.id),
        int(minutes) if str(minutes).isdigit() else 0,
        str(block.attrs.get("group", "")),
        materials,
        tuple(Link(sheet.title, anchor(module.id, sheet.id)) for sheet in block.children("sheet")),
    )


def _answer_key(module: Module, block: Block, localize) -> AnswerKey:
    """Return the answer key of one knowledge check, options lettered as printed (A, B, C ...)."""
    options = tuple(
        OptionKey(
            ascii_uppercase[i],
            localize(o.html, module.id, keep_ids=False),
            o.correct,
            localize(o.feedback_html, module.id, keep_ids=False),
        )
        for i, o in enumerate(block.options)
    )
    letters = ", ".join(o.letter for o in options if o.correct)
    question = localize(block.html, module.id, keep_ids=False)
    return AnswerKey(anchor(module.id, block.id), module.title, question, letters, options)


def _references(chapters, localize) -> tuple[str, ...]:
    """Return every distinct reference of the printed modules, in course order."""
    seen: dict[str, str] = {}
    for chapter in chapters:
        for block in chapter.module.blocks("sources"):
            for source in block.sources:
                seen.setdefault(source.text, localize(source.html, chapter.module.id, keep_ids=False))
    return tuple(seen.values())


def _sessions(course: Course, chapters: dict[str, Chapter]) -> tuple[SessionView, ...]:
    """Return the course's suggested sessions, restricted to the printed modules."""
    return tuple(
        SessionView(s.title, s.minutes, s.note, tuple(chapters[m] for m in s.modules if m in chapters))
        for s in course.schedule
        if any(m in chapters for m in s.modules)
    )


def _alignment(course: Course, chapters: dict[str, Chapter], label) -> tuple[AlignmentRow, ...]:
    """Return the constructive-alignment rows (goal, activities, assessment) of the printed modules."""
    rows = []
    for row in alignment(course):
        if row.module not in chapters:
            continue
        module = chapters[row.module].module
        blocks = {b.id: b for b in module.blocks()}
        served = [blocks[a.split(":", 1)[1]] for a in row.activities]
        link = lambda b: Link(f"{label(b)}: {b.title or _first_words(b.text)}", anchor(module.id, b.id))
        rows.append(AlignmentRow(
            chapters[row.module],
            row.text,
            tuple(link(b) for b in served if b.kind not in ASSESSMENTS),
            tuple(link(b) for b in served if b.kind in ASSESSMENTS),
        ))
    return tuple(rows)


def _label(block: Block, env: jinja2.Environment) -> str:
    """Return the UI name of a block kind (Oefening, Reflectievraag ...)."""
    key = "reflection_question" if block.kind == "reflection" else block.kind
    return env.globals["t"](key)


def _first_words(text: str, count: int = 12) -> str:
    """Return the first words of a block's text, to name an activity that has no title."""
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")
