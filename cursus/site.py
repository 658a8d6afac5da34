"""View-models of the course website, shared by the web and SCORM builders: pages, links, search."""

from __future__ import annotations

import dataclasses
import hashlib
import html as htmllib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import jinja2
from markupsafe import Markup

from cursus.cache import RenderCache
from cursus.model import Block, Course, Html, Media, Module, Part, has_trainer_blocks, remembered
from cursus.templating import search_path, templates_fingerprint, ui_strings

SECTION = re.compile(r'(<h2\b[^>]*\bid="[^"]+"[^>]*>.*?</h2>)', re.S)
SECTION_ID = re.compile(r'\bid="([^"]+)"')
"""A level-2 heading in rendered Markdown: where the search index starts a new entry."""

SCRIPT_STRINGS = (
    "saved", "correct", "not_correct", "try_again", "choose_first", "not_answered", "progress",
    "clear_confirm", "cleared", "no_results", "search_results", "search_result_one", "search_results_first",
    "my_reflections", "your_name",
    "name", "date", "question", "your_answer", "export_file", "continue_module",
)
"""The UI strings that ``cursus.js`` needs, handed to it as JSON in every page."""
PAGE_CODE = ("site.py", "templating.py", "builders/web.py", "builders/scorm.py")
"""The sources whose change changes the bytes of a module page (besides the templates)."""


@dataclass(frozen=True)
class Link:
    """A link to another page of the site."""

    href: str
    title: str
    label: str = ""
    """A short prefix such as 'Module 3' for modules, empty otherwise."""
    current: bool = False


@dataclass(frozen=True)
class ModulePage:
    """Everything a module page shows besides the module itself."""

    module: Module
    number: int
    """The module's position in the course, counting from 1."""
    part: Part
    previous: Link | None
    next: Link | None

    @property
    def filename(self) -> str:
        """The page's file name at the root of the site."""
        return self.module.filename

    @property
    def label(self) -> str:
        """The module's number as shown before its title."""
        return str(self.number)

    @property
    def body_html(self) -> Markup | str:
        """The module's body as rendered while loading (``Module.learner_html``) when the page shows
        the learner view it was rendered from; otherwise empty, and the page renders the body itself."""
        module = self.module
        return Markup(module.learner_html) if module.learner_html and not has_trainer_blocks(module) else ""

    @property
    def has_reflections(self) -> bool:
        """Tell whether the page asks for answers that are kept in the browser."""
        return bool(self.module.blocks("reflection"))


@dataclass(frozen=True)
class PartEntry:
    """A part of the course with its modules, for the start page."""

    part: Part
    pages: tuple[ModulePage, ...]


@dataclass(frozen=True)
class GlossaryEntry:
    """A term of the glossary with where it is explained."""

    anchor: str
    term: str
    html: str
    link: Link


@dataclass(frozen=True)
class ReflectionItem:
    """One reflection question on the 'My reflections' page."""

    id: str
    html: str
    text: str
    href: str


@dataclass(frozen=True)
class ReflectionGroup:
    """The reflection questions of one module."""

    page: ModulePage
    items: tuple[ReflectionItem, ...]


@dataclass(frozen=True)
class SourceGroup:
    """The references of one module."""

    page: ModulePage
    sources: tuple


@dataclass
class SearchEntry:
    """One searchable section: a module's introduction or one of its ``##`` sections."""

    u: str
    """URL of the section."""
    t: str
    """Section title."""
    m: str
    """Module title."""
    x: list[str] = field(default_factory=list)
    """The section's text."""

    def record(self) -> dict:
        """Return the entry as it is written to the search index."""
        return {"u": self.u, "t": self.t, "m": self.m, "x": " ".join(" ".join(self.x).split())}


def module_pages(course: Course) -> list[ModulePage]:
    """Return the module pages in course order, numbered and linked to their neighbours."""
    entries = [(part, module) for part in course.parts for module in part.modules]
    links = [Link(m.filename, m.title, str(i + 1)) for i, (_, m) in enumerate(entries)]
    return [
        ModulePage(module, i + 1, part, links[i - 1] if i else None, links[i + 1] if i + 1 < len(links) else None)
        for i, (part, module) in enumerate(entries)
    ]


def part_entries(course: Course) -> list[PartEntry]:
    """Return the parts with their numbered module pages, for the start page."""
    pages = {page.module.id: page for page in module_pages(course)}
    return [PartEntry(part, tuple(pages[m.id] for m in part.modules)) for part in course.parts]


def menu(labels: dict[str, str], current: str) -> list[Link]:
    """Return the site menu: start, glossary, sources and reflections, marking the current page."""
    names = [("index", "home"), ("glossary", "glossary"), ("sources", "sources"), ("reflections", "my_reflections")]
    return [Link(f"{page}.html", labels[key], current=page == current) for page, key in names]


def glossary(course: Course) -> list[GlossaryEntry]:
    """Return every term with its definition and a link to the module that explains it."""
    return [
        GlossaryEntry(f"{module.id}-{block.id}", block.title, block.html, Link(f"{module.filename}#term-{block.id}", module.title))
        for module, block in course.terms()
    ]


def reflection_groups(course: Course) -> list[ReflectionGroup]:
    """Return every reflection question of the course, grouped by module."""
    groups = []
    for page in module_pages(course):
        items = tuple(
            ReflectionItem(block.id, block.html, block.text, f"{page.filename}#{block.id}")
            for block in page.module.blocks("reflection")
        )
        if items:
            groups.append(ReflectionGroup(page, items))
    return groups


def source_groups(course: Course) -> list[SourceGroup]:
    """Return the references of the course, grouped by module."""
    groups = []
    for page in module_pages(course):
        sources = tuple(source for block in page.module.blocks("sources") for source in block.sources)
        if sources:
            groups.append(SourceGroup(page, sources))
    return groups


SITE_PAGES: dict[str, Callable[[Course], dict]] = {
    "index": lambda course: {"parts": part_entries(course)},
    "glossary": lambda course: {"terms": glossary(course)},
    "sources": lambda course: {"groups": source_groups(course)},
    "reflections": lambda course: {"groups": reflection_groups(course)},
}
"""The site's pages besides the modules: each page kind with what gives its template context."""


def media_files(course: Course) -> list[Media]:
    """Return every media file the course uses, once each, in a stable order."""
    return sorted({m.target: m for module in course.modules for m in module.media}.values(), key=lambda m: m.target)


def search_index(course: Course) -> list[dict]:
    """Return the search index: one record per module introduction and per ``##`` section."""
    return [entry.record() for module in course.modules for entry in _module_entries(module)]


def _module_entries(module: Module) -> list[SearchEntry]:
    """Split a module into searchable sections."""
    entries = [SearchEntry(module.filename, module.title, module.title, [module.summary] + [g.text for g in module.goals])]
    for node in module.body:
        if isinstance(node, Html):
            for piece in SECTION.split(node.html):
                _add_html(entries, module, piece)
        else:
            entries[-1].x.extend(_block_texts(node))
    return entries


def _add_html(entries: list[SearchEntry], module: Module, piece: str) -> None:
    """Add one piece of rendered Markdown: a heading opens a new entry, prose extends the last one."""
    if SECTION.fullmatch(piece):
        anchor = SECTION_ID.search(piece).group(1)
        entries.append(SearchEntry(f"{module.filename}#{anchor}", _text(piece), module.title))
    else:
        entries[-1].x.append(_text(piece))


def _block_texts(block: Block) -> list[str]:
    """Return the searchable text of a block and its nested blocks."""
    texts = [block.title, block.text]
    texts += [_text(option.html) for option in block.options]  # not the feedback: it tells the right answer
    texts += [source.text for source in block.sources]
    for node in block.body:
        if isinstance(node, Block):
            texts += _block_texts(node)
    return texts


TAG = re.compile(r"<!--.*?-->|<[A-Za-z/!?](?:[^>\"']|\"[^\"]*\"|'[^']*')*>", re.S)
"""A comment or a tag (attribute values may hold '>'), in the HTML that Python-Markdown writes; a
'<' not followed by a tag name is text, as an HTML parser reads it."""


def _text(html: str) -> str:
    """Return the text of an HTML fragment, as lxml's ``text_content`` would give it, whitespace
    collapsed. Well-formed HTML (all that Markdown itself writes) is read with a regular expression,
    in a tenth of the time: the search index of a large course asks for thousands of fragments."""
    if not html.strip():
        return ""
    text = TAG.sub("", html)
    if "<" in text:  # raw HTML that is not well formed: let an HTML parser decide what is text
        import lxml.html

        text = lxml.html.fragment_fromstring(html, create_parent="div").text_content()
    else:
        text = htmllib.unescape(text)
    return " ".join(text.split())


def script_strings(strings: dict[str, str]) -> dict[str, str]:
    """Return the UI strings that the page script needs."""
    return {key: strings[key] for key in SCRIPT_STRINGS}


def render_module_page(env: jinja2.Environment, view: ModulePage, target: str, **context) -> str:
    """Render one module page with ``<target>/module.html`` (target: 'web' or 'scorm')."""
    return render_page(env, f"{target}/module.html", "module", view.module.id, page=view, **context)


def render_page(env: jinja2.Environment, template: str, kind: str, module_id: str = "", **context) -> str:
    """Render one page of the site with the context every page layout expects."""
    course = env.globals["course"]
    labels = ui_strings(course.language, tuple(search_path(course)))
    context.setdefault("menu", menu(labels, kind))
    context.setdefault("live_reload", "")
    return env.get_template(template).render(
        page_kind=kind, module_id=module_id, script_strings=script_strings(labels), **context
    )


class PageCache:
    """Module pages of earlier builds, found by a hash of everything that shapes their bytes: the module,
    its number, part and neighbours, the course's settings and outline, the templates, the target and
    the extra context. ``cursus build`` and ``cursus serve`` so render only the pages that changed."""

    def __init__(self, store: RenderCache, course: Course):
        self.store = store
        fingerprints, self.modules = _shared(course)
        self.base = store.key("page", *fingerprints, _code_fingerprint())

    def render(self, env: jinja2.Environment, view: ModulePage, target: str,
               prepare: Callable[[ModulePage], ModulePage] | None = None, **context) -> str:
        """Return ``render_module_page(env, prepare(view), target, **context)``, from the cache when it holds it.

        *prepare* adapts the view before rendering (a SCORM package unlinks other SCOs); what it does
        must follow from *view* and *context*, which are all the key holds."""
        place = repr((view.number, view.part.id, view.part.title, view.previous, view.next))
        key = self.store.key(self.base, target, self.fingerprint(view.module), place, repr(sorted(context.items())))
        html = self.store.get(key)
        if html is None:
            html = render_module_page(env, prepare(view) if prepare else view, target, **context)
            self.store.put(key, html)
        return html

    def search_index(self, course: Course) -> list[dict]:
        """Return ``search_index(course)``, taking the records of unchanged modules from the cache."""
        records = []
        for module in course.modules:
            key = self.store.key(self.base, "search", self.fingerprint(module))
            entries = self.store.get(key)
            if entries is None:
                entries = [entry.record() for entry in _module_entries(module)]
                self.store.put(key, entries)
            records += entries
        return records

    def fingerprint(self, module: Module) -> str:
        """Return everything a module shows, its line numbers left out, as one string (computed once).

        A loaded module's body, headings and media follow from what they were rendered from, and the
        only change made to them since is taking out trainer blocks; a module made otherwise is
        written out whole."""
        if id(module) not in self.modules:
            if module.rendered_from:
                goals = [(goal.id, goal.text) for goal in module.goals]
                shown = repr((module.rendered_from, has_trainer_blocks(module), module.id, module.title, module.part,
                              module.duration, module.summary, goals, str(module.path), module.stem))
            else:
                shown = repr(dataclasses.replace(module, lines=None))
            self.modules[id(module)] = (module, shown)
        return self.modules[id(module)][1]


_COURSES: dict = {}
"""For the latest course views: the course and templates fingerprints, and each module's fingerprint
by the module's id (the module kept alive with it). The website and both SCORM packages of one build
share them."""


def _shared(course: Course) -> tuple[tuple[str, str], dict[int, tuple[Module, str]]]:
    """Return the course's and templates' fingerprints and the module fingerprints found so far, for *course*."""
    return remembered(_COURSES, course, lambda: ((_course_fingerprint(course), templates_fingerprint(course.root)), {}))


def _course_fingerprint(course: Course) -> str:
    """Return the course's settings and outline, which every page may show (title, footer, language)."""
    settings = {f.name: getattr(course, f.name) for f in dataclasses.fields(course) if f.name != "parts"}
    outline = [(p.id, p.title, [(m.id, m.title, m.duration, m.summary) for m in p.modules]) for p in course.parts]
    return repr((settings, outline))


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """Return a hash of the code that turns a module page's view into HTML."""
    folder = Path(__file__).resolve().parent
    return hashlib.sha256(b"".join((folder / name).read_bytes() for name in PAGE_CODE)).hexdigest()
