"""Property: whatever the front matter and block content, cursus reports problems, never a traceback."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOTS, run

FRONT = """---
id: een
title: Module één
duration: 30
goals:
  - id: lg1
    text: Je kunt iets.
"""

yaml_scalar = st.one_of(
    st.text(max_size=20), st.integers(-5, 10**6), st.booleans(), st.none(), st.floats(allow_nan=False),
    st.sampled_from(["[", "]", "{", "}", ":", "- ", "&a", "*a", "!!python/object", "|", ">", "---", "\t", "'", '"']),
)
front_line = st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(["id", "title", "duration", "goals", "part", "summary", "x", "goals[0]"]), yaml_scalar)
block_kind = st.sampled_from(["reflection", "exercise", "check", "case", "example", "term", "sources", "trainer", "steps", "materials", "debrief", "nope"])
attrs = st.text(alphabet="#=\"' {}abglo1-,:", max_size=25)
body_line = st.one_of(
    st.builds(lambda c, k, t, a: f"{c} {k} {t} {{{a}}}", st.sampled_from([":::", "::::"]), block_kind, st.text(max_size=10), attrs),
    st.just(":::"),
    st.builds(lambda m, t: f"- [{m}] {t}", st.sampled_from([" ", "x", "X", "?"]), st.text(max_size=15)),
    st.builds(lambda t: f"    {t}", st.text(max_size=20)),
    st.sampled_from(["```", "~~~", "# Kop", "## Kop", "![](x.png)", "[a](../x.md#b)", "[a](02-twee/index.md#zz)", "", "<script>x</script>"]),
    st.text(max_size=30),
)


def write_course(front_lines: list[str], body: list[str]) -> Path:
    folder = Path(tempfile.mkdtemp()) / "mini"
    shutil.copytree(ROOTS / "mini", folder)
    text = FRONT + "\n".join(front_lines) + "\n---\n" + "\n".join(body) + "\n"
    (folder / "01-een.md").write_text(text, "utf-8", errors="surrogatepass")
    return folder


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(front_line, max_size=4), st.lists(body_line, max_size=25))
def test_arbitrary_module_content_never_causes_a_traceback(front_lines, body):
    try:
        folder = write_course(front_lines, body)
    except UnicodeEncodeError:
        return
    try:
        result = run("check", str(folder))  # catch_exceptions=False: a traceback fails the test
        assert result.exit_code in (0, 1), result.output
        assert "Traceback" not in result.output
    finally:
        shutil.rmtree(folder.parent, ignore_errors=True)


markdown_line = st.one_of(
    st.text(alphabet="ab é!#*_`[]()<>&;\\{}:.|-=1\n", max_size=40),
    st.sampled_from(["*nadruk* en **vet**", "_ook_ nadruk", "`code`", "[link](x.md)", "[ref] en [ref][]", "regel  ", "a & b",
                     "<b>vet</b>", "Stap 1\\. klaar", "a \\# b", "&copy; 2026", "\\*geen nadruk\\*", "![plaatje](x.png)", "<https://example.org>", "<iemand@example.org>",
                     "tekst <!-- een notitie --> verder", '<span title="a > b">x</span> y']),
    st.sampled_from(["*[HTML]: HyperText", "HTML en zo", "| a | b |", "|---|---|", "Term", ": Definitie", "- item", "1. item",
                     "    code", "a  ", "## Kop {: #eigen }", "[ref]: https://example.org", "<div>", "</div>", "&amp; &#38;", ""]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(markdown_line, max_size=12))
def test_skipping_inert_text_never_changes_the_html(lines: list[str]):
    """cursus lets Python-Markdown skip the inline patterns for text none of them can change
    (``render.InertText``); with or without it, the HTML is the same."""
    import markdown

    from cursus.render import InertText, extensions

    text = "\n".join(lines)
    plain = markdown.Markdown(extensions=extensions(), output_format="html").convert(text)
    assert markdown.Markdown(extensions=extensions() + [InertText()], output_format="html").convert(text) == plain


@settings(max_examples=400, deadline=None)
@given(st.lists(markdown_line, max_size=12), st.sampled_from(["\n", "\n\n"]))
def test_sparing_python_markdown_repeated_work_never_changes_the_html(lines: list[str], separator: str):
    """cursus tries each inline pattern only on text holding its trigger, sorts the block processors
    once and remembers which tags are block-level (``render.Quicker``); with or without it, the HTML
    is the same, alone and together with cursus's other shortcuts."""
    import markdown

    from cursus.render import InertText, PlainParagraphs, Quicker, extensions

    text = separator.join(lines)
    plain = markdown.Markdown(extensions=extensions(), output_format="html").convert(text)
    assert markdown.Markdown(extensions=extensions() + [Quicker()], output_format="html").convert(text) == plain
    every = markdown.Markdown(extensions=extensions() + [InertText(), PlainParagraphs(), Quicker()], output_format="html")
    assert every.convert(text) == plain
    assert every.reset().convert(text) == plain


def test_the_inline_shortcut_is_the_loop_python_markdown_runs():
    """``render.Quicker`` replaces Python-Markdown's private loop over the inline patterns; if an
    upgrade renamed it, the shortcut would silently do nothing. It must be called, and skip."""
    import markdown
    from markdown.treeprocessors import InlineProcessor

    from cursus.render import Quicker, _TriggeredInline, extensions

    assert callable(getattr(InlineProcessor, "_InlineProcessor__handleInline", None))
    assert callable(getattr(InlineProcessor, "_InlineProcessor__applyPattern", None))
    md = markdown.Markdown(extensions=extensions() + [Quicker()], output_format="html")
    inline = md.treeprocessors["inline"]
    assert isinstance(inline, _TriggeredInline)
    tried = []
    apply = inline._InlineProcessor__applyPattern
    inline._InlineProcessor__applyPattern = lambda pattern, *args: tried.append(type(pattern).__name__) or apply(pattern, *args)
    assert md.convert("Een [link](x.md) in tekst.") == '<p>Een <a href="x.md">link</a> in tekst.</p>'
    # Only the patterns that look for '[' were tried; emphasis, code, HTML and entities were not.
    assert tried and set(tried) <= {"ReferenceInlineProcessor", "LinkInlineProcessor", "ShortReferenceInlineProcessor"}


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="[]a ](![", max_size=60))
def test_bracket_ends_are_python_markdowns(text: str):
    """cursus finds where each bracket of a paragraph closes by walking the brackets only
    (``render.bracket_ends``); for any text it gives what Python-Markdown's own walk gives, and
    every pattern that uses the walk (links, images, references) uses cursus's."""
    import markdown
    from markdown.inlinepatterns import LinkInlineProcessor

    from cursus.render import Quicker, bracket_ends, extensions

    assert bracket_ends(text) == LinkInlineProcessor._findBracketEnds(text)
    md = markdown.Markdown(extensions=extensions() + [Quicker()], output_format="html")
    users = [pattern for pattern in md.inlinePatterns if isinstance(pattern, LinkInlineProcessor)]
    assert len(users) >= 4 and all(pattern._findBracketEnds is bracket_ends for pattern in users)


@settings(max_examples=400, deadline=None)
@given(st.lists(markdown_line, max_size=12), st.sampled_from(["\n", "\n\n", "\n\n\n"]))
def test_taking_plain_paragraphs_first_never_changes_the_html(lines: list[str], separator: str):
    """cursus recognises plain paragraphs before Python-Markdown's other block processors test them
    (``render.PlainParagraphs``); with or without it, the HTML is the same."""
    import markdown

    from cursus.render import PlainParagraphs, extensions

    text = separator.join(lines)
    plain = markdown.Markdown(extensions=extensions(), output_format="html").convert(text)
    assert markdown.Markdown(extensions=extensions() + [PlainParagraphs()], output_format="html").convert(text) == plain


def test_the_block_processors_are_the_ones_plain_paragraphs_was_written_for():
    """An upgrade of Python-Markdown that adds a block processor must be looked at: it may claim
    blocks that ``render.PlainParagraphs`` takes as paragraphs."""
    import markdown

    from cursus.render import BLOCK_PROCESSORS, extensions

    processors = markdown.Markdown(extensions=extensions()).parser.blockprocessors
    assert tuple(processors._data[item.name] and item.name for item in sorted(processors._priority, key=lambda i: -i.priority)) == BLOCK_PROCESSORS


def test_the_inline_patterns_are_the_ones_inert_text_was_written_for():
    """An upgrade of Python-Markdown that adds an inline pattern must be looked at: it may match text
    that ``render.INLINE_ACTIVE`` calls inert."""
    import markdown

    from cursus.render import INLINE_PATTERNS, extensions

    assert tuple(markdown.Markdown(extensions=extensions()).inlinePatterns._data) == INLINE_PATTERNS


@settings(max_examples=200, deadline=None)
@given(st.lists(markdown_line, max_size=12))
def test_the_search_index_reads_text_as_lxml_does(lines: list[str]):
    """The search index takes the text out of rendered Markdown with a regular expression; it must
    read the same text as lxml's ``text_content`` (what it replaced)."""
    import lxml.html
    import markdown

    from cursus.render import extensions
    from cursus.site import _text

    html = markdown.Markdown(extensions=extensions(), output_format="html").convert("\n".join(lines))
    expected = " ".join(lxml.html.fragment_fromstring(html, create_parent="div").text_content().split()) if html.strip() else ""
    assert _text(html) == expected


link_line = st.one_of(
    markdown_line,
    st.sampled_from(["[naar twee](twee.html#stap)", "[hier](een.html)", "[*vet* weg](drie.html \"titel > x\")", "[buiten](https://example.org/a.html)",
                     "<a href='twee.html'>los</a>", "<a name=x>anker</a>", "<A HREF=\"twee.html\">hoofd</A>", "[kop](#kop)",
                     "[attr](twee.html){: .klein }", "<abbr title=\"a\">A</abbr> [en](twee.html)", "[twee.html](twee.html?q=1&amp;r=2)"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(link_line, max_size=12))
def test_links_out_of_a_sco_are_unwrapped_as_lxml_unwraps_them(lines: list[str]):
    """A SCO's page turns links to pages outside the SCO into their text with a regular expression
    (``scorm._unlink``); the result reads as lxml's (what it replaced) reads."""
    import lxml.html
    import markdown

    from cursus.builders.scorm import _unlink, _unlink_parsed
    from cursus.render import extensions

    html = markdown.Markdown(extensions=extensions(), output_format="html").convert("\n".join(lines))

    def tree(fragment: str) -> str:
        return lxml.html.tostring(lxml.html.fragment_fromstring(fragment, create_parent="div"), encoding="unicode") if fragment.strip() else ""

    assert tree(_unlink(html, {"een.html"})) == tree(_unlink_parsed(html, {"een.html"}))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\r\n\x0b\x0c\u00a0#=:-,.{}ab1é\"'\\", max_size=30))
def test_block_attributes_split_as_shlex_splits_them(text: str):
    """Block attributes are split without shlex when they hold no quotes or backslashes; the
    tokens (or the error) must be shlex's own."""
    import shlex

    from cursus.blocks import _tokens

    try:
        expected = shlex.split(text)
    except ValueError:
        with pytest.raises(ValueError):
            _tokens(text)
        return
    assert _tokens(text) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\nab-*é", max_size=40))
def test_pieces_are_dedented_as_textwrap_dedents_them(text: str):
    import textwrap

    from cursus.render import _dedent

    assert _dedent(text) == textwrap.dedent(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\n\u00a0\u2003\x1c<>/ab&amp;é", max_size=40))
def test_plain_text_of_html_folds_white_space_as_before(html: str):
    import html as htmllib
    import re

    from cursus.render import INLINE_TAGS, _plain

    assert _plain(html) == re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", INLINE_TAGS.sub("", html)))).strip()


def test_plain_text_keeps_words_and_punctuation_together_around_emphasis_and_links():
    from cursus.render import _plain

    html = '<p>de casus <em>Het kamp</em>, en <a href="x">de <strong>regeling</strong></a>.</p><ul><li>Een</li><li>Twee<br>drie</li></ul>'
    assert _plain(html) == "de casus Het kamp, en de regeling. Een Twee drie"
