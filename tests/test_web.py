"""The web format's build output, read as files: pages, links, budget, language, reproducibility."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import yaml

from conftest import run

BUDGET = 60 * 1024


def pages(web: Path) -> list[Path]:
    """Return every HTML page of a built site."""
    return sorted(web.glob("*.html"))


def parse(page: Path):
    """Parse a built page."""
    return lxml.html.fromstring(page.read_bytes())


def test_every_page_is_written_with_the_page_contract(mini_web):
    names = {p.name for p in pages(mini_web)}
    assert names == {"index.html", "glossary.html", "sources.html", "reflections.html", "een.html", "twee.html"}
    assert (mini_web / "media/02-twee/media/huis.png").is_file()
    for page in pages(mini_web):
        root = parse(page)
        body = root.find("body")
        assert root.get("lang") == "nl"
        assert body.get("data-course") == "mini"
        assert body.get("data-page") == ("module" if page.stem in ("een", "twee") else page.stem)
        assert body.get("data-module") == (page.stem if page.stem in ("een", "twee") else None)
        assert len(root.findall(".//h1")) == 1, page.name


def test_learners_never_see_trainer_notes(mini_web):
    for path in mini_web.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".js"):
            assert "GEHEIM-TRAINER" not in path.read_text("utf-8"), path.name


def test_module_page_has_goals_contents_blocks_and_neighbours(mini_web):
    root = parse(mini_web / "een.html")
    assert [li.text_content() for li in root.xpath("//section[@class='goals']//li")] == ["Je kunt het eerste begrip uitleggen.", "Je kunt een stap zetten."]
    assert [a.get("href") for a in root.xpath("//nav[@class='toc']//a")] == ["#inleiding"]
    assert root.xpath("//textarea[@data-reflection='een-r1']")
    assert [i.get("value") for i in root.xpath("//*[@data-check='een-kc1']//input")] == ["0", "1"]
    assert [li.text_content() for li in root.xpath("//div[@class='block steps']//li")] == ["Lees de casus.", "Maak een budget."]
    assert [a.get("href") for a in root.xpath("//nav[@class='pager']//a")] == ["twee.html"]
    assert [a.get("href") for a in parse(mini_web / "twee.html").xpath("//nav[@class='pager']//a")] == ["een.html"]


def test_start_page_lists_parts_modules_and_study_load(mini_web):
    root = parse(mini_web / "index.html")
    assert [h.text_content() for h in root.xpath("//section[@class='part']/h2")] == ["Deel 1: Deel A", "Deel 2: Deel B"]
    assert [a.get("href") for a in root.xpath("//ol[@class='module-list']//a")] == ["een.html", "twee.html"]
    assert "Studiebelasting: 2 uur" in root.text_content()


def test_glossary_sources_and_reflections_pages(mini_web):
    glossary = parse(mini_web / "glossary.html")
    assert [d.text_content() for d in glossary.xpath("//dfn")] == ["Schaarste"]
    assert glossary.xpath("//p[@class='see']/a")[0].get("href") == "een.html#term-schaarste"
    sources = parse(mini_web / "sources.html").text_content()
    assert "Mullainathan" in sources and "NJi. Armoede signaleren" in sources
    reflections = parse(mini_web / "reflections.html")
    assert [i.get("data-reflection-item") for i in reflections.xpath("//*[@data-reflection-item]")] == ["een-r1", "twee-r1"]
    assert {b.get("data-download") for b in reflections.xpath("//*[@data-download]")} == {"md", "html", "docx"}


def test_internal_links_and_images_resolve(shipped_web):
    ids = {page.name: {e.get("id") for e in parse(page).iter() if e.get("id")} for page in pages(shipped_web)}
    for page in pages(shipped_web):
        for element in parse(page).iter("a", "img", "link", "script"):
            url = element.get("href") or element.get("src")
            if not url or urlsplit(url).scheme in ("http", "https", "mailto", "tel"):
                continue
            parts = urlsplit(url)
            target = unquote(parts.path) or page.name
            assert (shipped_web / target).is_file(), f"{page.name}: {url}"
            if parts.fragment and target.endswith(".html"):
                assert parts.fragment in ids[target], f"{page.name}: {url}"


def test_no_page_loads_anything_from_elsewhere(shipped_web):
    for page in pages(shipped_web):
        root = parse(page)
        for element in root.iter("link", "script", "img", "iframe", "source", "video", "audio"):
            assert not urlsplit(element.get("src") or element.get("href") or "").netloc, page.name
    for asset in ("cursus.css", "cursus.js"):
        assert not re.search(r"(url\(\s*['\"]?(https?:)?//|@import|https?://[^'\"\s]*\.(js|css|woff2?))", (shipped_web / asset).read_text("utf-8"))


def test_scripts_and_styles_of_every_page_stay_under_60_kb(shipped_web):
    for page in pages(shipped_web):
        root = parse(page)
        assets = [e.get("href") for e in root.xpath("//link[@rel='stylesheet']")] + [e.get("src") for e in root.xpath("//script[@src]")]
        inline = sum(len((e.text or "").encode()) for e in root.xpath("//script[not(@src)] | //style"))
        total = inline + sum((shipped_web / name).stat().st_size for name in assets)
        assert assets and total < BUDGET, f"{page.name}: {total} bytes of JS and CSS"


def test_headings_form_an_outline(shipped_web):
    for page in pages(shipped_web):
        levels = [int(h.tag[1]) for h in parse(page).iter("h1", "h2", "h3", "h4", "h5", "h6")]
        assert levels[0] == 1 and levels.count(1) == 1, page.name
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), f"{page.name}: {levels}"


def test_search_index_covers_sections_and_blocks(mini_web):
    source = (mini_web / "search-index.js").read_text("utf-8")
    entries = json.loads(source.split("=", 1)[1].strip().rstrip(";"))
    by_url = {entry["u"]: entry for entry in entries}
    assert by_url["twee.html#verdieping"]["t"] == "Verdieping"
    assert by_url["twee.html#verdieping"]["x"].startswith("Het gezin De Vries Een gezin met drie kinderen")  # not the anchor
    check = by_url["een.html#inleiding"]["x"]
    assert "Wat doet schaarste met je aandacht?" in check and "Ze trekt je aandacht naar het tekort." in check
    assert "tunnelen" not in check  # feedback tells the right answer: not searchable


def test_ui_strings_follow_the_course_language(mini, tmp_path):
    config = yaml.safe_load((mini / "course.yml").read_text("utf-8"))
    config["language"] = "en"
    (mini / "course.yml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    assert run("build", mini, "--out", tmp_path / "out", "--format", "web", "--quiet").exit_code == 0
    web = tmp_path / "out" / "web"
    module = parse(web / "een.html")
    assert module.get("lang") == "en"
    assert module.xpath("//section[@class='goals']/h2")[0].text_content() == "Learning goals"
    assert module.xpath("//a[@class='skip-link']")[0].text_content() == "Skip to content"
    assert "My reflections" in parse(web / "reflections.html").xpath("//h1")[0].text_content()
    strings = json.loads(module.get_element_by_id("cursus-strings").text)
    assert strings["saved"] == "Saved" and strings["export_file"] == "my-reflections"


def test_a_course_can_reword_ui_strings_and_an_edit_shows_in_the_next_build(mini, tmp_path):
    """``cursus serve`` rebuilds in one process: an edited strings file must be read again."""
    strings = mini / "templates" / "i18n" / "nl.yml"
    strings.parent.mkdir(parents=True)
    for wording in ("Wat je leert", "Dit ga je leren"):
        strings.write_text(f"learning_goals: {wording}\n", "utf-8")
        assert run("build", mini, "--out", tmp_path / "out", "--format", "web", "--quiet").exit_code == 0
        heading = parse(tmp_path / "out" / "web" / "een.html").xpath("//section[@class='goals']/h2")[0]
        assert heading.text_content() == wording


def test_a_course_accent_colour_themes_every_page(mini, tmp_path):
    config = mini / "course.yml"
    config.write_text(config.read_text("utf-8").replace("language: nl\n", "language: nl\ntheme:\n  accent: '#5a2d82'\n"), "utf-8")
    assert run("build", mini, "--out", tmp_path / "out", "--format", "web", "--quiet").exit_code == 0
    for page in ("index.html", "een.html", "reflections.html"):
        assert parse(tmp_path / "out" / "web" / page).get("style") == "--accent: #5a2d82"


def test_builds_are_reproducible(mini, tmp_path):
    outputs = []
    for name in ("a", "b"):
        assert run("build", mini, "--out", tmp_path / name, "--format", "web", "--quiet").exit_code == 0
        web = tmp_path / name / "web"
        outputs.append({p.relative_to(web).as_posix(): p.read_bytes() for p in sorted(web.rglob("*")) if p.is_file()})
    assert outputs[0] == outputs[1]


def test_scripts_and_styles_are_downloaded_without_indentation(mini_web):
    """What learners load is the source without the indentation of its lines (same lines, same code)."""
    static = Path(__file__).resolve().parent.parent / "templates" / "static"
    for name in ("cursus.js", "cursus.css"):
        built, source = (mini_web / name).read_text("utf-8"), (static / name).read_text("utf-8")
        assert built.splitlines() == [line.lstrip(" \t") for line in source.splitlines()]
        assert len(built) < len(source)


def test_each_exercise_has_a_version_to_do_alone_with_an_answer_field(shipped_web):
    """A student studying alone finds, in every exercise, 'Alleen aan de slag' with a field to answer
    in; the answer is one of their reflections (on 'Mijn reflecties' too)."""
    exercises = 0
    for page in pages(shipped_web):
        for exercise in parse(page).xpath("//section[contains(@class, 'exercise')]"):
            exercises += 1
            alone = exercise.xpath(".//section[contains(@class, 'reflection')][.//span[@class='block-title'] = 'Alleen aan de slag']")
            assert len(alone) == 1, page.name
            heading = alone[0].xpath(".//*[@class='block-heading']")[0].text_content()
            assert heading == "Reflectievraag Alleen aan de slag", "the label and the title read as two words"
            assert alone[0].xpath(".//textarea[@data-reflection]")
            listed = parse(shipped_web / "reflections.html").xpath(f"//*[@data-reflection-item='{alone[0].get('id')}']")
            assert listed, alone[0].get("id")
    assert exercises == 18
