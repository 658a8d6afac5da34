"""The website in headless Chromium, opened from file:// as a student would open it from disk."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import lxml.etree
import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, NODE_MODULES

AXE = NODE_MODULES / "axe-core" / "axe.min.js"
AXE_RUN = """axe.run(document, {runOnly: {type: 'tag', values:
    ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}, resultTypes: ['violations']})
    .then(result => result.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))"""
HOSTILE = '<script>window.__pwned = 1</script> <img src=x onerror="window.__pwned = 2"> {{ 7 * 7 }} & more'


def pages(web: Path) -> list[Path]:
    return sorted(web.glob("*.html"))


def wait_saved(page, reflection_id: str) -> None:
    """Wait until the page says the answer is saved (the save is debounced)."""
    page.wait_for_function(f"document.querySelector('[data-saved-for=\"{reflection_id}\"]').textContent !== ''", timeout=5000)


def download(page, kind: str) -> bytes:
    """Click a download button on the reflections page and return the file's bytes."""
    with page.expect_download(timeout=5000) as info:
        page.click(f"[data-download='{kind}']")
    return Path(info.value.path()).read_bytes()


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching *selector* has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_navigation_reaches_every_page_in_order(page, shipped_web):
    page.goto((shipped_web / "index.html").as_uri())
    listed = page.eval_on_selector_all(".module-list a", "links => links.map(a => a.getAttribute('href'))")
    page.click(".module-list a >> nth=0")
    visited = []
    while True:
        visited.append(page.evaluate("document.body.dataset.module") + ".html")
        assert page.locator("h1").count() == 1
        if not page.locator("a[rel=next]").count():
            break
        page.click("a[rel=next]")
    assert visited == listed
    assert sorted(listed) == sorted(p.name for p in pages(shipped_web) if p.stem not in ("index", "glossary", "sources", "reflections"))
    page.click("a[rel=prev]")
    assert page.evaluate("document.body.dataset.module") + ".html" == listed[-2]
    for name, kind in (("glossary.html", "glossary"), ("sources.html", "sources"), ("reflections.html", "reflections"), ("index.html", "index")):
        page.click(f".menu a[href='{name}']")
        assert page.evaluate("document.body.dataset.page") == kind
        assert page.get_attribute(f".menu a[href='{name}']", "aria-current") == "page"


def test_axe_finds_no_violations_on_any_page(page, shipped_web):
    problems = {}
    for path in pages(shipped_web):
        page.goto(path.as_uri())
        page.add_script_tag(path=str(AXE))
        problems[path.name] = page.evaluate(AXE_RUN)
    # And in the states a learner brings about: feedback shown, search results open, an answer on the reflections page.
    module = next(p for p in pages(shipped_web) if p.stem not in ("index", "glossary", "sources", "reflections"))
    page.goto(module.as_uri())
    page.check("[data-check] input >> nth=0")
    page.click("[data-check-button] >> nth=0")
    page.fill("textarea[data-reflection] >> nth=0", "Een antwoord.")
    page.fill("#search-input", "armoede")
    page.wait_for_selector("#search-results li", timeout=5000)
    page.add_script_tag(path=str(AXE))
    problems["module page in use"] = page.evaluate(AXE_RUN)
    page.goto((shipped_web / "reflections.html").as_uri())
    page.add_script_tag(path=str(AXE))
    problems["reflections with an answer"] = page.evaluate(AXE_RUN)
    assert {name: found for name, found in problems.items() if found} == {}


def test_keyboard_alone_works_through_a_check_and_a_reflection(page, mini_web):
    page.goto((mini_web / "twee.html").as_uri())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    tab_to(page, "#twee-r1-answer")
    page.keyboard.type("Drie kinderen, weinig ruimte.")
    tab_to(page, "#twee-kc1-0")
    page.keyboard.press("Space")
    tab_to(page, "#twee-kc1-1")
    page.keyboard.press("Space")
    tab_to(page, "[data-check-button='twee-kc1']")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert page.text_content("[data-result-for='twee-kc1']") == "Goed"
    assert page.is_visible("#twee-kc1-0-feedback") and page.is_visible("#twee-kc1-1-feedback")
    assert not page.is_visible("#twee-kc1-2-feedback")
    wait_saved(page, "twee-r1")
    page.reload()
    assert page.input_value("#twee-r1-answer") == "Drie kinderen, weinig ruimte."
    assert page.is_checked("#twee-kc1-1") and page.is_visible("#twee-kc1-1-feedback")


def test_a_wrong_answer_shows_its_feedback_and_the_contract_events(page, mini_web):
    page.add_init_script("window.__events = []; ['cursus:check', 'cursus:seen'].forEach(n => "
                         "document.addEventListener(n, e => window.__events.push([n, e.detail])));")
    page.goto((mini_web / "een.html").as_uri())
    page.click("[data-check-button='een-kc1']")
    assert page.text_content("[data-result-for='een-kc1']") == "Kies eerst een antwoord."
    page.check("#een-kc1-0")
    page.click("[data-check-button='een-kc1']")
    assert page.is_visible("#een-kc1-0-feedback") and not page.is_visible("#een-kc1-1-feedback")
    assert "Niet goed" in page.text_content("[data-result-for='een-kc1']")
    events = page.evaluate("window.__events")
    assert events[0] == ["cursus:seen", {"module": "een"}]
    assert events[1] == ["cursus:check", {
        "id": "een-kc1", "response": [0], "correct": False, "question": "Wat doet schaarste met je aandacht?",
        "options": ["Niets.", "Ze trekt je aandacht naar het tekort."], "correctOptions": [1], "goals": ["lg1", "lg2"],
    }]
    state = json.loads(page.evaluate("localStorage.getItem('cursus:mini')"))
    assert state == {"v": 1, "answers": {}, "checks": {"een-kc1": {"r": [0], "ok": False}}, "seen": ["een"], "loc": "een", "name": ""}


def test_a_cursus_store_provided_by_the_page_replaces_local_storage(page, mini_web):
    page.add_init_script("""
        window.__saved = [];
        window.CursusStore = {
            state: {v: 1, answers: {'een-r1': 'Uit het LMS'}, checks: {}, seen: [], loc: '', name: ''},
            load() { return JSON.parse(JSON.stringify(this.state)); },
            save(s) { this.state = JSON.parse(JSON.stringify(s)); window.__saved.push(this.state); },
        };""")
    page.goto((mini_web / "een.html").as_uri())
    assert page.input_value("#een-r1-answer") == "Uit het LMS"
    page.fill("#een-r1-answer", "Nieuw antwoord")
    wait_saved(page, "een-r1")
    assert page.evaluate("CursusStore.state.answers['een-r1']") == "Nieuw antwoord"
    assert page.evaluate("localStorage.length") == 0
    page.evaluate("CursusStore.state.answers['een-r1'] = 'Hersteld'; document.dispatchEvent(new CustomEvent('cursus:restore'))")
    assert page.input_value("#een-r1-answer") == "Hersteld"


def test_start_page_shows_progress_and_where_to_continue(page, mini_web):
    page.goto((mini_web / "index.html").as_uri())
    assert page.text_content("[data-progress]") == "0 van 2 modules bekeken"
    page.goto((mini_web / "twee.html").as_uri())
    page.goto((mini_web / "index.html").as_uri())
    assert page.text_content("[data-progress]") == "1 van 2 modules bekeken"
    assert page.is_visible("[data-seen-for='twee']") and not page.is_visible("[data-seen-for='een']")
    assert page.get_attribute("[data-continue] a", "href") == "twee.html"
    assert page.text_content("[data-continue] a") == "Ga verder: Module twee"


def test_answers_survive_reload_and_browser_restart_and_are_exported(browser, mini_web, tmp_path):
    profile = tmp_path / "profile"

    def launch():
        context = browser.browser_type.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, accept_downloads=True)
        return context, context.pages[0] if context.pages else context.new_page()

    context, page = launch()
    page.goto((mini_web / "een.html").as_uri())
    page.fill("#een-r1-answer", "Schaarste slokt aandacht op.\nDat merk ik ook.")
    wait_saved(page, "een-r1")
    page.reload()
    assert page.input_value("#een-r1-answer") == "Schaarste slokt aandacht op.\nDat merk ik ook."
    context.close()

    context, page = launch()
    page.goto((mini_web / "reflections.html").as_uri())
    assert page.text_content("[data-answer-for='een-r1']") == "Schaarste slokt aandacht op.\nDat merk ik ook."
    assert page.text_content("[data-answer-for='twee-r1']") == "(nog niet beantwoord)"
    page.fill("#learner-name", "Sam de Vries")
    with page.expect_download(timeout=5000) as info:
        page.click("[data-download='md']")
    markdown = Path(info.value.path()).read_text("utf-8")
    assert re.fullmatch(r"mijn-reflecties-mini-sam-de-vries-20\d\d-\d\d-\d\d\.md", info.value.suggested_filename)
    context.close()
    assert markdown.startswith("# Mijn reflecties: Mini cursus\n")
    assert "Naam: Sam de Vries" in markdown and "Datum: 20" in markdown
    assert "## Module 1: Module één" in markdown and "Wat betekent schaarste voor jou?" in markdown
    assert "> Schaarste slokt aandacht op.\n> Dat merk ik ook." in markdown
    assert "Module twee" not in markdown  # a module without an answer is not handed in


def test_an_answer_handed_in_as_markdown_reads_as_typed(page, mini_web):
    """The Markdown export escapes what a Markdown viewer would read as markup, and nothing else, so
    the file a student hands in also reads as typed in a plain text editor."""
    typed = "Ouders & kinderen {samen}, 50% minder stress\n#1 is rust\n*Belangrijk*: &amp; en <b>"
    page.goto((mini_web / "een.html").as_uri())
    page.fill("#een-r1-answer", typed)
    wait_saved(page, "een-r1")
    page.goto((mini_web / "reflections.html").as_uri())
    markdown = download(page, "md").decode("utf-8")
    assert "> Ouders & kinderen {samen}, 50% minder stress\n> \\#1 is rust\n> \\*Belangrijk\\*: \\&amp; en \\<b\\>\n" in markdown


def test_an_answer_typed_just_before_leaving_the_page_is_kept(page, mini_web):
    """A learner who types and at once goes back or on (before the 400 ms save) keeps every word."""
    page.goto((mini_web / "een.html").as_uri())
    page.fill("#een-r1-answer", "Net getypt")
    page.goto((mini_web / "twee.html").as_uri())
    page.go_back()
    assert page.input_value("#een-r1-answer") == "Net getypt"
    assert json.loads(page.evaluate("localStorage.getItem('cursus:mini')"))["answers"] == {"een-r1": "Net getypt"}


def test_a_hostile_answer_is_only_ever_text(page, mini_web, tmp_path):
    page.on("dialog", lambda dialog: dialog.dismiss())
    page.goto((mini_web / "een.html").as_uri())
    page.fill("#een-r1-answer", HOSTILE)
    wait_saved(page, "een-r1")
    page.goto((mini_web / "reflections.html").as_uri())
    page.fill("#learner-name", "<b>Sam</b>")
    box = "[data-answer-for='een-r1']"
    assert page.text_content(box) == HOSTILE
    assert page.eval_on_selector(box, "e => e.children.length") == 0
    assert page.evaluate("window.__pwned") is None

    markdown = download(page, "md").decode("utf-8")
    assert re.search(r"(?<!\\)<", markdown) is None  # no tag can open: every "<" is escaped
    assert r"\<script\>" in markdown and r"{{ 7 \* 7 }} & more" in markdown

    exported = tmp_path / "export.html"
    exported.write_bytes(download(page, "html"))
    page.goto(exported.as_uri())
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img, script, b").count() == 0
    assert HOSTILE in page.text_content("body") and "<b>Sam</b>" in page.text_content("body")

    page.goto((mini_web / "reflections.html").as_uri())
    docx = tmp_path / "export.docx"
    docx.write_bytes(download(page, "docx"))
    with zipfile.ZipFile(docx) as archive:
        assert archive.testzip() is None
        assert {"[Content_Types].xml", "_rels/.rels", "word/document.xml"} <= set(archive.namelist())
        document = lxml.etree.fromstring(archive.read("word/document.xml"))
    words = "".join(document.itertext())
    assert HOSTILE in words and "Mijn reflecties: Mini cursus" in words


def test_clearing_answers_asks_first(page, mini_web):
    page.goto((mini_web / "een.html").as_uri())
    page.fill("#een-r1-answer", "Iets")
    wait_saved(page, "een-r1")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("[data-clear-answers]")
    assert page.input_value("#een-r1-answer") == "Iets"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-clear-answers]")
    assert page.input_value("#een-r1-answer") == ""
    assert json.loads(page.evaluate("localStorage.getItem('cursus:mini')"))["answers"] == {}
    page.reload()
    assert page.input_value("#een-r1-answer") == ""


def test_search_finds_text_across_the_course(page, mini_web):
    page.goto((mini_web / "een.html").as_uri())
    page.fill("#search-input", "gezin drie")
    page.wait_for_selector("#search-results li", timeout=5000)
    assert page.eval_on_selector_all("#search-results a", "links => links.map(a => a.getAttribute('href'))") == ["twee.html#verdieping"]
    assert page.text_content("#search-status") == "1 resultaat"
    page.press("#search-input", "Enter")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "twee.html#verdieping"
    page.fill("#search-input", "qqqzzz")
    assert page.text_content("#search-status") == "Geen resultaten."


def test_search_says_how_many_it_shows_and_never_gives_an_answer_away(page, shipped_web, mini_web):
    page.goto((shipped_web / "welkom.html").as_uri())
    page.fill("#search-input", "armoede")
    page.wait_for_selector("#search-results li", timeout=5000)
    status = page.text_content("#search-status")
    assert re.fullmatch(r"\d+ resultaten; hieronder de eerste 12\. Voeg een woord toe om gerichter te zoeken\.", status), status
    assert page.locator("#search-results li").count() == 12
    # "tunnelen" is only in the feedback on the right answer of a check.
    page.goto((mini_web / "een.html").as_uri())
    page.fill("#search-input", "tunnelen")
    page.wait_for_function("document.getElementById('search-status').textContent !== ''", timeout=5000)
    assert page.text_content("#search-status") == "Geen resultaten."


def test_another_choice_takes_away_the_feedback_on_the_last_one(page, mini_web):
    page.goto((mini_web / "een.html").as_uri())
    page.check("#een-kc1-0")
    page.click("[data-check-button='een-kc1']")
    assert page.is_visible("#een-kc1-0-feedback") and "Niet goed" in page.text_content("[data-result-for='een-kc1']")
    page.check("#een-kc1-1")
    assert not page.is_visible("#een-kc1-0-feedback") and not page.is_visible("#een-kc1-1-feedback")
    assert page.text_content("[data-result-for='een-kc1']") == ""
    assert "is-wrong" not in page.get_attribute("#een-kc1", "class")
    page.click("[data-check-button='een-kc1']")
    assert page.text_content("[data-result-for='een-kc1']") == "Goed"


def test_every_page_renders_fully_with_the_network_blocked(page, shipped_web):
    outside = []
    page.on("request", lambda request: None if request.url.startswith("file:") else outside.append(request.url))
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    for path in pages(shipped_web):
        page.goto(path.as_uri())
        assert page.is_visible("h1"), path.name
        assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor") != "rgba(0, 0, 0, 0)"
        assert page.is_visible("#search-input"), path.name  # the script ran
        assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)"), path.name
    page.fill("#search-input", "armoede")
    page.wait_for_selector("#search-results li", timeout=5000)
    assert outside == []


def test_no_page_scrolls_sideways_at_320_px_even_with_text_at_200_percent(page, shipped_web):
    """WCAG 1.4.10 (reflow at 320 px) and 1.4.4 (text resized to 200 %): a phone never scrolls sideways.
    The larger text is a learner's own setting: the root font size (the stylesheet sizes in rem)."""
    page.set_viewport_size({"width": 320, "height": 640})
    wide = {}
    for path in pages(shipped_web):
        page.goto(path.as_uri())
        for size in ("100%", "200%"):
            page.evaluate("size => document.documentElement.style.fontSize = size", size)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 320:
                wide[f"{path.name} at {size}"] = width
    assert wide == {}


def test_reflections_print_with_name_and_date_but_without_controls(page, mini_web):
    page.goto((mini_web / "een.html").as_uri())
    page.fill("#een-r1-answer", "Geprint antwoord")
    wait_saved(page, "een-r1")
    page.goto((mini_web / "reflections.html").as_uri())
    page.fill("#learner-name", "Sam")
    page.emulate_media(media="print")
    assert page.is_visible("[data-print-meta]")
    assert page.text_content("[data-print-meta]").startswith("Naam: Sam · Datum: 20")
    assert page.is_visible("[data-answer-for='een-r1']")
    for control in ("[data-download='md']", "#learner-name", "[data-clear-answers]", ".site-header", "[data-print]"):
        assert not page.is_visible(control), control
    page.emulate_media(media="screen")
    assert not page.is_visible("[data-print-meta]") and page.is_visible("[data-download='md']")


def test_reduced_motion_is_respected(browser, mini_web):
    for motion, expected in (("reduce", "auto"), ("no-preference", "smooth")):
        context = browser.new_context(reduced_motion=motion)
        page = context.new_page()
        page.goto((mini_web / "een.html").as_uri())
        assert page.evaluate("getComputedStyle(document.documentElement).scrollBehavior") == expected
        context.close()
