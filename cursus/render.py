"""Render Markdown once: prose and blocks into HTML, with links and images resolved and checked."""

from __future__ import annotations

import hashlib
import html as htmllib
import re
import textwrap
import unicodedata
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import markdown
from markdown.blockprocessors import ParagraphProcessor
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import render_inner_html, slugify, strip_tags
from markdown.treeprocessors import InlineProcessor, Treeprocessor
from markdown.util import AtomicString, Registry

from cursus.blocks import RawBlock, Text
from cursus.diagnostics import Diagnostics
from cursus.model import Block, Heading, Html, Media, Option, Source

EXTENSIONS = (TableExtension, AttrListExtension, DefListExtension, SaneListExtension, AbbrExtension)
"""Python-Markdown's extensions cursus uses (tables, attr_list, def_list, sane_lists, abbr). Given as
classes, not names: a name makes Python-Markdown search every installed package's entry points,
which took longer than rendering five modules."""

OPTION = re.compile(r"^[-*+]\s+\[([ xX])\]\s+(.*)$")
URL = re.compile(r"https?://[^\s<>\)\]]+")
BARE_URL = re.compile(r"(?<![<(\[])(https?://[^\s<>\)\]]*[^\s<>\)\].,;:])([.,;:]?)(?=\s|$)")
"""A web address written out in a reference (not already a link): made a link, so that a learner can
open the source (its closing punctuation stays outside)."""
SAFE_SCHEMES = {"http", "https", "mailto", "tel"}
PIECE_BREAK = "\n\nCURSUSPIECEBREAK\n\n"
"""Put between the pieces of a module's Markdown so that one conversion renders them all. A paragraph,
not an HTML comment: raw HTML left open swallows what follows, and a swallowed marker then stays
bare text instead of becoming this paragraph, so the split comes out short and the pieces are
converted one by one."""
PIECE_SPLIT = re.compile(r"\n*<p>CURSUSPIECEBREAK</p>\n*")
HEADING_MARK = "cursus-heading-"
"""The id a heading holds between conversion and the walk that gives it its real id."""
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
HEADING = re.compile(r"<h([1-6])(\s[^>]*)?>(.*?)</h\1>", re.S)
ANCHOR = re.compile(r'\sid="([^"]*)"')
TAGS = re.compile(r"<[^>]+>")
INLINE_TAGS = re.compile(r"</?(?:a|abbr|b|cite|code|dfn|em|i|kbd|mark|q|s|small|span|strong|sub|sup|u)\b[^>]*>")
"""Tags that stand within a line of text."""
SAFE_RUN = re.compile(r"[^a-z0-9._-]+")
"""Characters an output file name must not hold, as a run to replace by one '-'."""


def extensions() -> list[markdown.Extension]:
    """Return new instances of the Markdown extensions cursus uses."""
    return [extension() for extension in EXTENSIONS]


@dataclass
class LinkRef:
    """An internal link whose anchor can only be checked once every module is rendered."""

    path: Path
    line: int
    target: Path
    fragment: str


@dataclass
class ModuleContext:
    """What the renderer learns while rendering one module."""

    path: Path
    module_id: str
    root: Path
    diagnostics: Diagnostics
    media: dict[str, Media] = field(default_factory=dict)
    links: list[LinkRef] = field(default_factory=list)
    used_ids: set[str] = field(default_factory=set)
    headings: list[Heading] = field(default_factory=list)
    segment_text: str = ""
    segment_lines: list[int] = field(default_factory=list)
    """The source line of each line of ``segment_text``, the Markdown being converted."""
    level: int = 1
    """The level of the last heading seen; a block's own heading goes one below it."""

    def line_of(self, needle: str) -> int:
        """Return the source line of the Markdown being converted where *needle* first appears."""
        for offset, text in enumerate(self.segment_text.split("\n")):
            if needle in text:
                return self.segment_lines[offset]
        return self.segment_lines[0] if self.segment_lines else 0

    def unique(self, slug: str) -> str:
        """Return *slug*, numbered if the module already uses it."""
        base, number = slug or "section", 1
        while slug in self.used_ids or not slug:
            number += 1
            slug = f"{base}-{number}"
        self.used_ids.add(slug)
        return slug


class _Links(Treeprocessor):
    """Resolve relative links and images against the module file, confined to the course folder."""

    def __init__(self, md, renderer: Renderer):
        super().__init__(md)
        self.renderer = renderer

    def run(self, root: etree.Element) -> None:
        ctx = self.renderer.context
        for element in root.iter():
            if element.tag == "a" and element.get("href"):
                element.set("href", self.renderer.resolve(element.get("href"), ctx, image=False))
            elif element.tag == "img":
                if not (element.get("alt") or "").strip():
                    ctx.diagnostics.error(ctx.path, ctx.line_of(element.get("src", "")), "image", "this image has no alt text; describe it for readers who cannot see it")
                element.set("src", self.renderer.resolve(element.get("src", ""), ctx, image=True))
            elif element.tag == "h1":
                ctx.diagnostics.error(ctx.path, ctx.line_of(element.text or "#"), "heading", "use '##' for sections: the module title is the page's only level-1 heading")


class _HeadingIds(Treeprocessor):
    """Give every heading without an id a placeholder, noting its slug (what the toc extension does,
    without the table of contents it would also build and serialise for every conversion)."""

    def __init__(self, md, renderer: Renderer):
        super().__init__(md)
        self.renderer = renderer

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag in HEADING_TAGS and "id" not in element.attrib:
                name = htmllib.unescape(strip_tags(render_inner_html(element, self.md)))
                element.set("id", self.renderer.placeholder(slugify(name, "-")))


INLINE_TRIGGERS = {
    "backtick": ("`",), "escape": ("\\",), "reference": ("[",), "link": ("[",), "image_link": ("![",),
    "image_reference": ("![",), "short_reference": ("[",), "short_image_ref": ("![",), "autolink": ("<",),
    "automail": ("<",), "linebreak": ("  \n",), "html": ("<",), "entity": ("&",), "em_strong": ("*", "_"),
}
"""Python-Markdown's inline patterns with the extensions cursus uses, in order, each with what it needs
to match: a backtick or backslash (code, escapes), '[' or '![' (links, references, images), '<'
(autolinks, inline HTML), '&' (entities), '*' or '_' (emphasis), two spaces before a line break.
Text holding none of a pattern's triggers cannot match it (each pattern's expression starts with, or
looks ahead to, one of them)."""
INLINE_PATTERNS = tuple(INLINE_TRIGGERS)
INLINE_ACTIVE = re.compile("|".join(sorted({re.escape(t) for ts in INLINE_TRIGGERS.values() for t in ts})))
"""Text without any trigger comes out of the inline patterns unchanged."""


class _TriggeredInline(InlineProcessor):
    """Python-Markdown's inline step, trying on each piece of text only the patterns whose trigger
    occurs in it. Python-Markdown tries all 14 on every piece that holds any trigger: a paragraph
    with one link in it was searched for code, escapes, autolinks, HTML, entities and emphasis too.

    It replaces one private method, ``__handleInline`` (the loop over the patterns), with the same
    loop plus the trigger test; skipping a pattern is exactly what a pattern that does not match
    does (move on to the next, from the start of the text). Should an upgrade of Python-Markdown
    rename that method, this class changes nothing (a test checks that it is used)."""

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        self._patterns = [(self.inlinePatterns[name], INLINE_TRIGGERS.get(name)) for name in self._names()]
        return super().run(tree, ancestors)

    def _names(self) -> list[str]:
        return [item.name for item in sorted(self.inlinePatterns._priority, key=lambda item: -item.priority)]

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, AtomicString):
            return data
        apply = self._InlineProcessor__applyPattern
        patterns = self._patterns
        start = 0
        while patternIndex < len(patterns):
            pattern, triggers = patterns[patternIndex]
            if triggers is not None and not any(trigger in data for trigger in triggers):
                patternIndex, start = patternIndex + 1, 0
                continue
            data, matched, start = apply(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


class _SortedOnce(Registry):
    """A registry that sorts its items once. Python-Markdown's builds the sorted list anew on every
    iteration, and the block parser iterates over the block processors once per block."""

    _order: list | None = None

    def __iter__(self):
        if self._order is None:
            self._sort()
            self._order = [self._data[item.name] for item in self._priority]
        return iter(self._order)

    def register(self, item, name: str, priority: float) -> None:
        self._order = None
        super().register(item, name, priority)

    def deregister(self, name: str, strict: bool = True) -> None:
        self._order = None
        super().deregister(name, strict)


BRACKET = re.compile(r"[\[\]]")


def bracket_ends(data: str) -> list[int | None]:
    """Return what Python-Markdown's ``LinkInlineProcessor._findBracketEnds`` returns, sooner.

    For each index of *data*: the index just past the ``]`` that closes a bracket opened before it
    (the first index where the bracket depth falls below the depth at that index), or None. Python-
    Markdown (3.8 and later) walks every character of a paragraph that holds a link, in Python: a
    sixth of the time 150 modules took to render. Depth changes only at a bracket, so this walks the
    brackets (found by a regular expression) and fills the indexes between two of them at once."""
    ends: list[int | None] = [None] * (len(data) + 1)
    waiting: list[tuple[int, int, int]] = []
    """Runs of indexes with one depth (first, past the last, depth) still waiting for their end;
    depths never fall from bottom to top."""
    depth = start = 0
    for bracket in BRACKET.finditer(data):
        at = bracket.start()
        while waiting and depth < waiting[-1][2]:
            first, past, _ = waiting.pop()
            ends[first:past] = [start] * (past - first)
        waiting.append((start, at + 1, depth))
        depth += 1 if data[at] == "[" else -1
        start = at + 1
    while waiting and depth < waiting[-1][2]:
        first, past, _ = waiting.pop()
        ends[first:past] = [start] * (past - first)
    return ends


class Quicker(markdown.Extension):
    """Spare Python-Markdown work it repeats for every piece of text; the HTML is the same, only sooner:
    inline patterns only where their trigger occurs, block processors sorted once, whether a tag is
    block-level (a search through a list of 60 names, some 50,000 times for 150 modules) remembered,
    and the ends of a paragraph's brackets found by walking its brackets, not all its characters."""

    def extendMarkdown(self, md):
        md.treeprocessors.register(_TriggeredInline(md), "inline", 20)
        for pattern in md.inlinePatterns:
            if hasattr(pattern, "_findBracketEnds"):  # links, images, references (Python-Markdown 3.8+)
                pattern._findBracketEnds = bracket_ends
        md.parser.blockprocessors.__class__ = _SortedOnce
        md.parser.blockprocessors._order = None
        known: dict = {}
        is_block_level = md.is_block_level

        def remembered(tag) -> bool:
            try:
                return known[tag]
            except KeyError:
                known[tag] = found = is_block_level(tag)
                return found

        md.is_block_level = remembered


class _InertText(Treeprocessor):
    """Before the inline patterns run, mark element text that none of them can change as atomic, so
    that Python-Markdown skips it: trying every pattern on every paragraph was a quarter of the time
    a module took to render. ``_InertTextEnd`` takes the marks off again right after, so later
    steps (abbreviations among them) see plain text as usual."""

    def __init__(self, md):
        super().__init__(md)
        self.marked: list[etree.Element] = []

    def run(self, root: etree.Element) -> None:
        self.marked = []
        for element in root.iter():
            text = element.text
            if text and not isinstance(text, AtomicString) and not INLINE_ACTIVE.search(text):
                element.text = AtomicString(text)
                self.marked.append(element)


class _InertTextEnd(Treeprocessor):
    """Take off the marks ``_InertText`` set (the text itself is as it was)."""

    def __init__(self, md, start: _InertText):
        super().__init__(md)
        self.start = start

    def run(self, root: etree.Element) -> None:
        for element in self.start.marked:
            element.text = str(element.text)
        self.start.marked = []


class InertText(markdown.Extension):
    """Skip the inline patterns for text they cannot change; the HTML is the same, only sooner."""

    def extendMarkdown(self, md):
        inert = _InertText(md)
        md.treeprocessors.register(inert, "cursus-inert-text", 20.5)  # just before "inline" (20)
        md.treeprocessors.register(_InertTextEnd(md, inert), "cursus-inert-text-end", 19.5)


BLOCK_PROCESSORS = ("empty", "indent", "defindent", "code", "table", "hashheader", "setextheader", "hr", "olist",
                    "ulist", "deflist", "quote", "abbr", "reference", "paragraph")
"""Python-Markdown's block processors with the extensions cursus uses, by priority; ``PlainParagraphs`` is written for exactly these."""


class _PlainParagraph(ParagraphProcessor):
    """Take a block that can only be a paragraph before any other block processor tests it.

    Every line starting with a letter, and no '|' anywhere, rules out what the others look for:
    indented code and list items (a space), headings ('#', or a line of '=' or '-' below), rules,
    lists (a marker or a digit), quotes ('>'), definitions (':'), abbreviations ('*['), references
    ('[') and tables ('|'). Python-Markdown would try all 14 on every paragraph, which was half the
    time it spent on blocks; ``run`` is the paragraph processor's own."""

    def test(self, parent: etree.Element, block: str) -> bool:
        return "|" not in block and all(line[:1].isalpha() for line in block.split("\n"))


class PlainParagraphs(markdown.Extension):
    """Recognise plain paragraphs first; the HTML is the same, only sooner."""

    def extendMarkdown(self, md):
        md.parser.blockprocessors.register(_PlainParagraph(md.parser), "cursus-plain-paragraph", 200)


class _Extension(markdown.Extension):
    def __init__(self, renderer: Renderer):
        super().__init__()
        self.renderer = renderer

    def extendMarkdown(self, md):
        md.treeprocessors.register(_HeadingIds(md, self.renderer), "cursus-heading-ids", 5)
        md.treeprocessors.register(_Links(md, self.renderer), "cursus-links", 1)


class Renderer:
    """One Markdown converter for a whole course; ``render_module`` renders a module's body.

    A module's Markdown comes in many pieces (prose between blocks, each block's text, every option
    and its feedback). Python-Markdown's cost per conversion is high, so a module is rendered in two
    walks over its nodes: the first collects every piece, which are then converted as one document
    with a marker between them; the second builds the model from the converted pieces, in the same
    order. Heading ids are given in the second walk, in document order, so they do not depend on
    the batching. Should the markers not survive (raw HTML left open, say), each piece is converted
    on its own instead.
    """

    def __init__(self, modules_by_path: dict[Path, str]):
        self.modules_by_path = modules_by_path
        self.fingerprint = hash_of(sorted((str(path), module_id) for path, module_id in modules_by_path.items()))
        """Changes when a module is added, moved or renamed: links to modules render differently then."""
        self.context: ModuleContext | None = None
        self.real_paths: dict[Path, Path] = {}
        """Paths resolved so far (the course folder, link and image targets); links do not change during a build."""
        self.slugs: list[str] = []
        """The slug of each heading of the module at hand; its id holds a placeholder until the second walk."""
        self.pieces: list[tuple[str, int]] | None = None
        """While collecting: the Markdown pieces of the module, with their first source line."""
        self.converted: list[tuple[str, int, str]] = []
        """While building: each piece with its HTML, consumed in order."""
        self.md = markdown.Markdown(
            extensions=extensions() + [InertText(), PlainParagraphs(), Quicker(), _Extension(self)],
            output_format="html",
        )

    def placeholder(self, slug: str) -> str:
        """Return the id a heading holds until the second walk gives it *slug*, made unique."""
        self.slugs.append(slug)
        return f"{HEADING_MARK}{len(self.slugs) - 1}"

    def render_module(self, nodes: list, context: ModuleContext) -> tuple:
        """Render a module body's parsed nodes into model nodes."""
        self.pieces = []
        # The first walk only collects: what it finds (ids, problems) goes to a scratch context.
        self.context = ModuleContext(context.path, context.module_id, context.root, Diagnostics())
        for node in nodes:
            self._node(node)
        pieces, self.pieces = self.pieces, None
        self.context = context
        self.slugs = []
        self.converted = list(self._convert_all(pieces))[::-1]
        context.level = 1
        return tuple(self._node(node) for node in nodes)

    def _convert_all(self, pieces: list[tuple[str, int]]):
        """Yield ``(text, line, html)`` for every piece: converted as one document when the markers survive."""
        texts = [_dedent(text) for text, _ in pieces]
        ctx = self.context
        ctx.segment_lines = []
        for (text, line), dedented in zip(pieces, texts):
            ctx.segment_lines += [line + offset for offset in range(dedented.count("\n") + 1)]
            ctx.segment_lines += [ctx.segment_lines[-1]] * (PIECE_BREAK.count("\n") - 1)
        diagnostics, links, media = ctx.diagnostics, len(ctx.links), dict(ctx.media)
        ctx.diagnostics = Diagnostics()
        html = self._convert(PIECE_BREAK.join(texts))
        parts = PIECE_SPLIT.split(html)
        if len(parts) == len(pieces):
            diagnostics.extend(ctx.diagnostics)
            ctx.diagnostics = diagnostics
            yield from ((text, line, part) for (text, line), part in zip(pieces, parts))
            return
        # A marker was swallowed: forget what the batch found and convert piece by piece.
        ctx.diagnostics, ctx.media = diagnostics, media
        del ctx.links[links:]
        for (text, line), dedented in zip(pieces, texts):
            ctx.segment_lines = [line + offset for offset in range(dedented.count("\n") + 1)]
            yield text, line, self._convert(dedented)

    def _convert(self, text: str) -> str:
        """Run Python-Markdown on *text* (its headings keep placeholder ids)."""
        self.context.segment_text = text
        self.md.reset()
        return self.md.convert(text).strip("\n")

    def markdown(self, text: str, line: int) -> str:
        """Return one piece of Markdown as HTML, noting its headings for the module's contents."""
        if self.pieces is not None:
            self.pieces.append((text, line))
            return ""
        done_text, done_line, html = self.converted.pop()
        if (done_text, done_line) != (text, line):
            raise RuntimeError(f"internal error: the second walk over {self.context.path} asked for another piece")
        return HEADING.sub(self._heading, html)

    def _heading(self, found: re.Match) -> str:
        """Give a heading its final id, in document order, and note it for the contents."""
        ctx = self.context
        level, attrs, inner = int(found[1]), found[2] or "", found[3]
        anchor = ANCHOR.search(attrs)
        if anchor is None:
            return found[0]
        name = anchor[1]
        if name.startswith(HEADING_MARK):
            name = ctx.unique(self.slugs[int(name[len(HEADING_MARK):])])
            attrs = attrs[:anchor.start()] + f' id="{name}"' + attrs[anchor.end():]
        else:
            ctx.used_ids.add(name)
        if 2 <= level <= 3:
            ctx.headings.append(Heading(level, name, _plain(inner)))
            ctx.level = level
        return f"<h{level}{attrs}>{inner}</h{level}>"

    def _node(self, node):
        if isinstance(node, Text):
            return Html(self.markdown(node.text, node.line))
        return self._block(node)

    def inline(self, text: str, line: int) -> str:
        """Convert a one-line piece of Markdown without the surrounding paragraph."""
        html = self.markdown(text, line)
        return re.sub(r"^<p>(.*)</p>$", r"\1", html, flags=re.S)

    def _block(self, raw: RawBlock) -> Block:
        """Render one block and its children."""
        ctx = self.context
        level = min(ctx.level + 1, 6)
        ctx.level = level
        block_id = raw.id or ctx.unique(slugify(raw.title or raw.kind, "-"))
        if raw.id:
            ctx.used_ids.add(raw.id)
        goals = tuple(g for g in re.split(r"[\s,]+", raw.attrs.get("goals", "")) if g)
        options: tuple = ()
        sources: tuple = ()
        if raw.kind == "check":
            body, options = self._check(raw)
        elif raw.kind == "sources":
            body, sources = self._sources(raw)
        else:
            body = tuple(self._node(child) for child in raw.children)
        ctx.level = level - 1
        text = _plain("".join(n.html for n in body if isinstance(n, Html)))
        return Block(raw.kind, block_id, raw.title, goals, dict(raw.attrs), body, raw.line, text, options, sources, level)

    def _check(self, raw: RawBlock) -> tuple[tuple, tuple]:
        """Split a knowledge check into its question and its options with feedback."""
        question: list[str] = []
        options: list[list] = []  # [mark, label, feedback lines, line]
        for child in raw.children:
            if not isinstance(child, Text):
                continue
            for offset, line in enumerate(child.text.split("\n")):
                found = OPTION.match(line)
                if found:
                    options.append([found.group(1), found.group(2), [], child.line + offset])
                elif options and (not line.strip() or line.startswith((" ", "\t"))):
                    options[-1][2].append(line)
                elif options:
                    self.context.diagnostics.error(self.context.path, child.line + offset, "check.options", "text after the options must be indented (4 spaces) to belong to an option's feedback")
                else:
                    question.append(line)
        rendered = tuple(
            Option(self.inline(label, line), mark.lower() == "x", self.markdown("\n".join(feedback), line + 1) if "".join(feedback).strip() else "", line)
            for mark, label, feedback, line in options
        )
        body = [Html(self.markdown("\n".join(question), raw.line + 1))]
        body += [self._block(child) for child in raw.children if isinstance(child, RawBlock)]
        return tuple(body), rendered

    def _sources(self, raw: RawBlock) -> tuple[tuple, tuple]:
        """Render a sources block and pick out its references and their URLs."""
        items: list[tuple[str, int]] = []
        for child in raw.children:
            if isinstance(child, Text):
                for offset, line in enumerate(child.text.split("\n")):
                    if re.match(r"^\s*(?:[-*+]|\d+\.)\s+", line):
                        items.append((re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "", line), child.line + offset))
                    elif line.strip() and items:
                        items[-1] = (items[-1][0] + " " + line.strip(), items[-1][1])
        rendered = [(self.inline(BARE_URL.sub(r"<\1>\2", text), line), text) for text, line in items]
        sources = tuple(Source(html, _plain(html), tuple(u.rstrip(".,;") for u in URL.findall(text))) for html, text in rendered)
        body = tuple(self._node(child) for child in raw.children)
        return body, sources

    def resolve(self, url: str, ctx: ModuleContext, image: bool) -> str:
        """Return the output URL for a link or image, recording media and internal links."""
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            if parts.scheme.lower() not in SAFE_SCHEMES:
                ctx.diagnostics.error(ctx.path, ctx.line_of(url), "link", f"links with '{parts.scheme}:' are not allowed: {url}")
                return "#"
            return url
        if not parts.path:
            if parts.fragment:
                ctx.links.append(LinkRef(ctx.path, ctx.line_of(url), ctx.path, parts.fragment))
            return url
        what = "image" if image else "link"
        if parts.path.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", parts.path):
            ctx.diagnostics.error(ctx.path, ctx.line_of(url), what, f"'{url}' is an absolute path; use a path relative to the module file")
            return "#"
        target = (ctx.path.parent / unquote(parts.path))
        real = self._real(target)
        try:
            inside = real.relative_to(self._real(ctx.root))
        except ValueError:
            ctx.diagnostics.error(ctx.path, ctx.line_of(url), what, f"'{url}' points outside the course folder")
            return "#"
        if target.suffix == ".md" and not image:
            ctx.links.append(LinkRef(ctx.path, ctx.line_of(url), real, parts.fragment))
            module_id = self.modules_by_path.get(real, "")
            page = f"{module_id}.html" if module_id else "#"
            return f"{page}#{parts.fragment}" if parts.fragment else page
        if not target.is_file():
            ctx.diagnostics.error(ctx.path, ctx.line_of(url), what, f"'{url}' does not exist (looked for {inside.as_posix()})")
            return "#"
        out = "media/" + output_name(inside.as_posix())
        ctx.media[out] = Media(real, out)
        return out


    def _real(self, path: Path) -> Path:
        """Return *path* with symlinks resolved (once per build)."""
        real = self.real_paths.get(path)
        if real is None:
            real = self.real_paths[path] = path.resolve()
        return real


def output_name(relative: str) -> str:
    """Return the output path of a course file: the same path when each character is one that every
    LMS, zip tool and web server takes as it is (lowercase ASCII letters, digits, '.', '_', '-');
    otherwise a path made of those, with a short hash of the original so that two names never
    become one.

    ``Foto één.png`` becomes ``foto-een-<hash>.png``: a space or an accent in a file name breaks
    some LMSs' import of a package and is no valid URL in a page or a manifest, and ``Huis.png``
    next to ``huis.png`` would be one file on a disk that ignores case (an LMS on Windows)."""
    *folders, name = relative.split("/")
    stem, dot, suffix = name.rpartition(".")
    if not stem:  # no extension ('README', '.hidden')
        stem, dot, suffix = name, "", ""
    folders = [_safe_segment(folder) for folder in folders]
    stem, suffix = _safe_segment(stem), _safe_segment(suffix) if dot else ""
    if "/".join(folders + [stem + dot + suffix]) == relative:
        return relative
    tag = hashlib.sha256(relative.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return "/".join(folders + [f"{stem}-{tag}{dot}{suffix}"])


def _safe_segment(segment: str) -> str:
    """Return one path segment in lowercase ASCII, accents dropped and any other unsafe run of characters as '-'."""
    ascii_only = unicodedata.normalize("NFKD", segment).encode("ascii", "ignore").decode("ascii").lower()
    return SAFE_RUN.sub("-", ascii_only).strip("-") or "file"


def hash_of(value: object) -> str:
    """Return a short stable hash of a value's text form."""
    return hashlib.sha256(repr(value).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _dedent(text: str) -> str:
    """Return ``textwrap.dedent(text)``, at once when no line starts with white space (most pieces)."""
    if text[:1] in (" ", "\t") or "\n " in text or "\n\t" in text:
        return textwrap.dedent(text)
    return text


def _plain(html: str) -> str:
    """Return the text of an HTML fragment, tags removed, whitespace folded: a tag within a line of
    text (emphasis, a link) joins its words as written ("*Het kamp*, en" stays "Het kamp, en")."""
    return " ".join(htmllib.unescape(TAGS.sub(" ", INLINE_TAGS.sub("", html))).split())
