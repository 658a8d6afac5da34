"""The printed workbook and trainer guide, read back as a reader (and a print shop) would: text, pages, outline."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from conftest import COURSE, ROOTS, _shared_build, copy_root, run
from cursus.build import build, check
from cursus.builders import BuildOptions
from cursus.builders.pdf import PdfBuilder
from cursus.model import Block, for_learners

MM = 72 / 25.4
"""PDF points per millimetre."""


@pytest.fixture(scope="session")
def mini_pdf(tmp_path_factory) -> Path:
    """The mini fixture course printed as workbook and trainer guide."""
    return _shared_build(tmp_path_factory, "mini-pdf", ROOTS / "mini", "workbook", "trainer") / "pdf"


@pytest.fixture(scope="session")
def shipped_pdf(tmp_path_factory) -> Path:
    """The shipped course printed as workbook and trainer guide (built once: PDFs are expensive)."""
    return _shared_build(tmp_path_factory, "shipped-pdf", COURSE, "workbook", "trainer") / "pdf"


COURSES = {"mini": (ROOTS / "mini", "mini_pdf"), "shipped": (COURSE, "shipped_pdf")}


@pytest.fixture(params=sorted(COURSES))
def printed(request):
    """(course model, workbook path, trainer guide path) for each course that is printed."""
    root, fixture = COURSES[request.param]
    course = _course(root)
    folder = request.getfixturevalue(fixture)
    return course, folder / f"{course.id}-werkboek.pdf", folder / f"{course.id}-trainershandleiding.pdf"


@lru_cache(maxsize=None)
def _course(root: Path):
    return check(root).course


def normalize(text: str) -> str:
    """Fold text as extracted from a PDF: undo hyphenation at line ends, collapse whitespace."""
    text = re.sub(r"\u2010\s+", "", text)
    text = re.sub(r"(?<=\w)-\s+(?=\w)", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def unhyphenated(text: str) -> str:
    """Drop hyphens inside words: pdftotext drops a real hyphen where a line breaks after it ('stress-' + 'sensitief')."""
    return re.sub(r"(?<=\w)-(?=\w)", "", text)


@lru_cache(maxsize=None)
def pages(pdf: Path) -> tuple[str, ...]:
    """Return the normalized text of every page (index 0 is page 1)."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    unlisted = re.sub(r"(?m)^\s*(?:•|\d+\.)\s+", "", text)  # list markers are not part of the sentences
    return tuple(normalize(page) for page in unlisted.split("\f")[:-1])


@lru_cache(maxsize=None)
def whole(pdf: Path) -> str:
    """Return the running text of a PDF: its pages without page numbers and running headers."""
    titles = {normalize(m.title) for root, _ in COURSES.values() for m in _course(root).modules}
    body = []
    for text in pages(pdf):
        text = re.sub(r" \d+$", "", text)
        header = next((title for title in titles if text.startswith(title + " ")), None)
        body.append(text[len(header):] if header else text)
    return " ".join(body)


def trainer_texts(course) -> list[str]:
    """Return a distinctive snippet of every trainer-only block of the full course: the first words
    of a trainer note; of a copy sheet, the first eight words that learners do not read in its module
    (a sheet may repeat an exercise's instruction)."""
    snippets = []
    learners = {module.id: module for module in for_learners(course).modules}
    for module in course.modules:
        for block in module.blocks("trainer"):
            words = normalize(block.text).split()
            snippets.append(" ".join(words[:8]))
        seen = normalize(re.sub(r"<[^>]+>", " ", " ".join(_html(learners[module.id].body))))
        for block in module.blocks("sheet"):
            words = normalize(block.text).split()
            windows = (" ".join(words[i:i + 8]) for i in range(max(1, len(words) - 7)))
            snippets += [next(window for window in windows if window not in seen)]
    return snippets


def _html(nodes) -> list[str]:
    """Return the HTML of a body's prose and of its blocks, at every depth."""
    found = []
    for node in nodes:
        found.append(node.html)
        if isinstance(node, Block):
            found += [part for option in node.options for part in (option.html, option.feedback_html)]
            found += _html(node.body)
    return found


def outline(reader: PdfReader, items=None, depth=0) -> list[tuple[int, str, int]]:
    """Flatten the PDF outline into (depth, title, page number) rows."""
    rows = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            rows += outline(reader, item, depth + 1)
        else:
            rows.append((depth, item.title, reader.get_destination_page_number(item) + 1))
    return rows


# -- Files and trainer-only content ---------------------------------------------------------------

def test_one_command_writes_both_pdfs_named_in_the_course_language(mini_pdf):
    assert sorted(p.name for p in mini_pdf.iterdir()) == ["mini-trainershandleiding.pdf", "mini-werkboek.pdf"]


def test_a_check_of_the_workbook_stays_on_one_page_with_its_options(printed):
    """A participant reads a knowledge check's question and all its options on one page."""
    course, workbook, _ = printed
    texts = [unhyphenated(page) for page in pages(workbook)]

    def page_of(snippet: str, start: int = 0) -> int:
        return next(n for n in range(start, len(texts)) if snippet in texts[n])

    split = []
    for module in course.modules:
        for check in module.blocks("check"):
            question = unhyphenated(" ".join(normalize(check.text).split()[:12]))
            last = unhyphenated(" ".join(normalize(re.sub(r"<[^>]+>", " ", check.options[-1].html)).split()[:5]))
            first = page_of(question, 2)  # after the contents
            if last not in texts[first]:
                split.append((check.id, first + 1))
    assert split == []


def test_the_colophon_says_on_which_page_the_references_start(printed):
    _, workbook, guide = printed
    for pdf in (workbook, guide):
        texts = pages(pdf)
        found = re.search(r"Literatuur, blz\. (\d+)", texts[1])
        assert found, (pdf.name, texts[1][:300])
        assert texts[int(found.group(1)) - 1].startswith("Literatuur"), pdf.name


def test_every_module_title_goal_and_reflection_question_is_in_both_pdfs(printed):
    course, workbook, guide = printed
    for pdf in (workbook, guide):
        text = unhyphenated(whole(pdf))
        for module in course.modules:
            assert unhyphenated(normalize(module.title)) in text, (pdf.name, module.title)
            for goal in module.goals:
                assert unhyphenated(normalize(goal.text)) in text, (pdf.name, module.id, goal.id)
            for reflection in module.blocks("reflection"):
                assert unhyphenated(normalize(reflection.text)) in text, (pdf.name, reflection.id)


def test_trainer_only_text_is_in_the_guide_and_never_in_the_workbook(printed):
    course, workbook, guide = printed
    snippets = trainer_texts(course)
    assert snippets
    for snippet in snippets:
        assert snippet not in whole(workbook), snippet
        assert snippet in whole(guide), snippet


def test_mini_trainer_secrets_only_in_the_guide(mini_pdf):
    assert "GEHEIM" not in whole(mini_pdf / "mini-werkboek.pdf")
    guide = whole(mini_pdf / "mini-trainershandleiding.pdf")
    for secret in ("GEHEIM-TRAINER-REFLECTIE", "GEHEIM-TRAINER-OEFENING", "GEHEIM-TRAINER-LOS"):
        assert secret in guide
    assert "GEHEIMTRAINERKOPIEERBLAD" in unhyphenated(guide)  # a role card


# -- Layout: contents, odd pages, outline ---------------------------------------------------------

def toc_entries(pdf: Path, course) -> dict[str, int]:
    """Return the page number the table of contents prints after each module title."""
    toc_pages = [text for text in pages(pdf)[:8] if "Inhoud" in text and "Deel 1" in text]
    assert toc_pages, "no table of contents"
    text = " ".join(toc_pages)
    found = {}
    for number, module in enumerate(course.modules, 1):
        match = re.search(rf"{number} {re.escape(normalize(module.title))}[ .]*?(\d+)", text)
        assert match, module.title
        found[module.id] = int(match.group(1))
    return found


def test_contents_page_numbers_point_at_module_starts_on_odd_pages(printed):
    course, workbook, guide = printed
    for pdf in (workbook, guide):
        for module in course.modules:
            page = toc_entries(pdf, course)[module.id]
            assert page % 2 == 1, (pdf.name, module.id, page)
            assert normalize(module.title) in pages(pdf)[page - 1], (pdf.name, module.id, page)


def test_outline_lists_every_part_and_module_under_it(printed):
    course, workbook, guide = printed
    for pdf in (workbook, guide):
        rows = outline(PdfReader(pdf))
        tops = [title for depth, title, _ in rows if depth == 0]
        for part in course.parts:
            assert any(part.title in title for title in tops), part.title
        parts = {title for title in tops if any(part.title in title for part in course.parts)}
        modules, part = [], None
        for depth, title, page in rows:  # a module is a second-level entry under its part (copy sheets are under theirs)
            part = title if depth == 0 else part
            if depth == 1 and part in parts:
                modules.append((title, page))
        assert [title for title, _ in modules] == [m.title for m in course.modules]
        assert all(page % 2 == 1 for _, page in modules)


def test_contents_links_jump_to_the_module(mini_pdf):
    reader = PdfReader(mini_pdf / "mini-werkboek.pdf")
    dests = {name: reader.get_destination_page_number(dest) + 1 for name, dest in reader.named_destinations.items()}
    toc = next(i for i, text in enumerate(pages(mini_pdf / "mini-werkboek.pdf")) if "Inhoud" in text)
    targets = {a.get_object()["/Dest"] for a in reader.pages[toc]["/Annots"]}
    assert {"mod-een", "mod-twee", "part-deel-a", "part-deel-b"} <= targets
    assert "Module twee" in pages(mini_pdf / "mini-werkboek.pdf")[dests["mod-twee"] - 1]
    # A link in module een to a section of module twee ('02-twee/index.md#verdieping') stays a link.
    een = dests["mod-een"] - 1
    assert "twee--verdieping" in {a.get_object().get("/Dest") for a in reader.pages[een]["/Annots"]}
    assert "Verdieping" in pages(mini_pdf / "mini-werkboek.pdf")[dests["twee--verdieping"] - 1]


# -- Accessibility and metadata -------------------------------------------------------------------

def test_tagged_pdf_ua_with_title_author_and_language(mini_pdf):
    for name, title in (("mini-werkboek.pdf", "Werkboek"), ("mini-trainershandleiding.pdf", "Trainershandleiding")):
        reader = PdfReader(mini_pdf / name)
        root = reader.trailer["/Root"]
        assert root["/Lang"] == "nl"
        assert root["/MarkInfo"]["/Marked"] == True  # noqa: E712 (a pypdf BooleanObject)
        assert "/StructTreeRoot" in root
        assert root["/ViewerPreferences"]["/DisplayDocTitle"] == True  # noqa: E712
        assert 'pdfuaid:part="1"' in reader.xmp_metadata.stream.get_data().decode()
        assert reader.metadata.title == f"Mini cursus — {title}"
        assert reader.metadata.author == "Test"


def structure_elements(reader: PdfReader) -> list:
    """Return every element of the PDF's structure tree (the tags), in document order."""
    found = []

    def walk(node):
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict) and "/S" in node:
            found.append(node)
            walk(node.get("/K", []))

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"])
    return found


def test_headings_are_tagged_for_screen_readers(mini_pdf):
    kinds = {element["/S"] for element in structure_elements(PdfReader(mini_pdf / "mini-werkboek.pdf"))}
    assert {"/H1", "/H2", "/H3", "/L", "/Figure"} <= kinds


def test_tags_point_at_the_pages_their_headings_are_on(mini_pdf):
    """Each heading's structure element names its page (/Pg): a screen reader jumps there."""
    path = mini_pdf / "mini-werkboek.pdf"
    reader, texts = PdfReader(path), pages(path)
    numbers = {page.indirect_reference.idnum: index for index, page in enumerate(reader.pages)}
    heading_pages = [numbers[element.raw_get("/Pg").idnum] for element in structure_elements(reader)
                     if element["/S"] == "/H1" and "/Pg" in element]
    assert heading_pages == sorted(heading_pages) and len(set(heading_pages)) > 2
    for title in (normalize("Module één"), "Module twee", "Begrippenlijst"):
        assert any(title in texts[page] for page in heading_pages), title


# -- Print quality ---------------------------------------------------------------------------------

def test_fonts_embedded_and_dutch_characters_render(printed):
    course, workbook, guide = printed
    for pdf in (workbook, guide):
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
        assert fonts
        for line in fonts:
            name, emb = line.split()[0], line.split()[-5]
            assert emb == "yes", line
            assert re.search(r"Liberation|DejaVu", name), line
    text = whole(workbook)
    for char in "é" if course.id == "mini" else "ëïé€":
        assert char in text


def test_no_ink_beyond_the_page_margins(printed, tmp_path):
    course, workbook, guide = printed
    for pdf in (workbook, guide):
        count = len(pages(pdf))
        for page in sorted({1, 3, 4, 7, count // 2, count // 2 + 1, count - 1, count}):
            _assert_inside_margins(pdf, page, tmp_path)


def _assert_inside_margins(pdf: Path, page: int, tmp_path: Path) -> None:
    """Render one page in grey and check the ink's bounding box against the mirrored margins."""
    dpi = 40
    prefix = tmp_path / f"{pdf.stem}-{page}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-f", str(page), "-l", str(page), "-singlefile", "-png", str(pdf), str(prefix)], check=True)
    image = Image.open(f"{prefix}.png").point(lambda v: 255 if v < 250 else 0)
    box = image.getbbox()
    if box is None:
        return
    px = dpi / 25.4
    inner, outer, slack = 25 * px, 15 * px, 1.5 * px
    left, right = (inner, outer) if page % 2 else (outer, inner)
    width, height = image.size
    assert box[0] >= left - slack, (pdf.name, page, box)
    assert box[2] <= width - right + slack, (pdf.name, page, box)
    assert box[1] >= 5 * px and box[3] <= height - 5 * px, (pdf.name, page, box)


def test_running_headers_and_page_numbers_sit_at_the_outer_edge(printed):
    """On a right-hand page the running header and the page number end at the outer (right) margin;
    on a left-hand page they start at the outer (left) margin, as a reader leafing through expects."""
    course, workbook, guide = printed
    for pdf in (workbook, guide):
        count = len(pages(pdf))
        checked = 0
        for number in range(4, min(count, 30)):
            found = subprocess.run(["pdftotext", "-bbox", "-f", str(number), "-l", str(number), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
            boxes = [(float(a) / MM, float(b) / MM, float(c) / MM, float(d) / MM, w) for a, b, c, d, w in
                     re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)</word>', found)]
            header = [box for box in boxes if box[3] < 20]
            footer = [box for box in boxes if box[1] > 297 - 22 and box[4] == str(number)]
            if not header or not footer:
                continue  # a part title page or a copy sheet: no running header
            checked += 1
            for line in (header, footer):
                if number % 2:  # a right-hand page: ends at 210 - 15 mm
                    assert abs(max(box[2] for box in line) - 195) < 1, (pdf.name, number, line)
                else:  # a left-hand page: starts at 15 mm
                    assert abs(min(box[0] for box in line) - 15) < 1, (pdf.name, number, line)
        assert checked >= 2, pdf.name


def test_the_pdf_streams_are_compressed_at_zlibs_default_level(mini_pdf):
    """The PDF worker compresses at zlib's level 6, not pydyf's 9: a quarter of the CPU for
    streams 3 % larger (``pdfrender._compress_at_zlibs_default``). Every compressed stream of the
    workbook says so in its zlib header (level 9 writes 78 DA); a pydyf upgrade that no longer goes
    through ``zlib`` leaves the mend out, and this fails."""
    data = (mini_pdf / "mini-werkboek.pdf").read_bytes()
    streams = re.findall(rb"/FlateDecode.*?stream\n(..)", data, re.S)
    assert len(streams) > 5
    assert set(streams) == {b"\x78\x9c"}
    subprocess.run(["pdftotext", str(mini_pdf / "mini-werkboek.pdf"), "-"], capture_output=True, check=True)


# -- Content of each document ----------------------------------------------------------------------

def test_workbook_asks_without_answers_and_keys_them_at_the_back(mini_pdf):
    text = pages(mini_pdf / "mini-werkboek.pdf")
    question = next(i for i, page in enumerate(text) if "Wat doet schaarste met je aandacht?" in page)
    assert "tunnelen" not in text[question]
    key = next(i for i, page in enumerate(text) if "Antwoorden De juiste antwoorden" in page)
    assert key > question and "B Goed: Ze trekt je aandacht naar het tekort." in text[key]
    assert "Goed: dat heet tunnelen." in text[key]
    back = " ".join(text[question + 1:])
    assert "Begrippenlijst" in back and "Schaarste Een tekort dat je aandacht opslokt." in back
    assert "Literatuur" in back and "https://www.platform31.nl/schaarste" in back


def test_answer_key_names_the_page_of_each_check(printed):
    """'Kennischeck, blz. N' at the back points at the page the question is on (a number pointing
    back, which cursus's PDF worker fills in before the page is laid out, see ``pdfrender``)."""
    course, workbook, guide = printed
    for pdf in (workbook, guide):
        text = pages(pdf)
        key = " ".join(page for page in text if "De juiste antwoorden" in page or "blz." in page)
        for module in course.modules:
            for block in module.blocks("check"):
                question = normalize(block.text)[:40]
                match = re.search(rf"blz\. (\d+) {re.escape(question)}", key)
                assert match, (pdf.name, module.id, question)
                assert question in text[int(match.group(1)) - 1], (pdf.name, module.id, match.group(1))


def test_trainer_guide_has_schedule_alignment_session_plans_and_explained_keys(mini_pdf):
    text = whole(mini_pdf / "mini-trainershandleiding.pdf")
    assert "Voorgesteld programma" in text and "Sessie 1 (1 uur)" in text
    assert "Constructive alignment" in text and "Je kunt een stap zetten." in text
    assert text.count("Sessieplan") == 2
    assert "Gesprekspunten GEHEIM-TRAINER-REFLECTIE" in text
    assert re.search(r"Oefening: Een week rondkomen 20 min 4-6 .{0,20}speelgeld", text)
    assert "Niet goed: schaarste trekt aandacht naar het acute probleem." in text


def test_overleefhuis_script_is_in_the_guide(shipped_pdf):
    course = _course(COURSE)
    guide = whole(shipped_pdf / f"{course.id}-trainershandleiding.pdf")
    exercise = course.module("overleefhuis").blocks("exercise")[0]
    for part in ("materials", "steps", "debrief", "trainer"):
        for child in exercise.children(part):
            assert " ".join(normalize(child.text).split()[:6]) in guide, part


# -- Copy sheets -----------------------------------------------------------------------------------

def words(pdf: Path, page: int) -> dict[str, tuple[float, float]]:
    """Return the position (left, top, in mm) of each word on one page (the first time it occurs)."""
    found = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    positions: dict[str, tuple[float, float]] = {}
    for x, y, word in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]+)</word>', found):
        positions.setdefault(word, (float(x) / MM, float(y) / MM))
    return positions


def test_copy_sheets_are_printed_at_the_back_of_the_guide_each_on_pages_of_its_own(mini_pdf):
    """A trainer finds each sheet from its exercise, its session plan and the contents, and copies a
    page that shows only the sheet (no running header)."""
    guide = mini_pdf / "mini-trainershandleiding.pdf"
    text = pages(guide)
    starts = {}
    for title in ("Rolkaarten", "Observatieformulier"):
        found = [i + 1 for i, page in enumerate(text) if page.startswith(f"Kopieerblad · Module 1 · Een week rondkomen {title} ")]
        assert len(found) == 1, (title, found)
        starts[title] = found[0]
        references = re.findall(rf"Kopieerblad: {title}, blz\. (\d+)", " ".join(text))
        assert references and set(references) == {str(found[0])}, (title, references)  # in the exercise and its session plan
        assert len(references) == 2, references
    assert starts["Observatieformulier"] > starts["Rolkaarten"] > next(i for i, page in enumerate(text) if "Sessieplan" in page)
    contents = next(page for page in text[:8] if page.startswith("Inhoud"))
    index = next(i + 1 for i, page in enumerate(text) if page.startswith("Kopieerbladen Rolkaarten, formulieren"))
    assert re.search(rf"Kopieerbladen \.?[ .]*{index}\b", contents), contents
    cards = text[starts["Rolkaarten"] - 1]
    for number in (1, 2, 3):
        assert f"Module 1 · Rolkaarten · {number}/3" in cards  # a card cut out says where it belongs
    assert "Observator. Let op open vragen." in cards and "kopiëren voor je eigen training mag" in cards
    assert "Kopieerblad" not in whole(mini_pdf / "mini-werkboek.pdf")
    rows = outline(PdfReader(guide))
    top = next(i for i, row in enumerate(rows) if row[:2] == (0, "Kopieerbladen"))
    assert rows[top + 1:top + 3] == [(1, "Rolkaarten", starts["Rolkaarten"]), (1, "Observatieformulier", starts["Observatieformulier"])]


def test_cards_are_cut_two_to_a_row_and_a_form_leaves_room_to_write(mini_pdf):
    guide = mini_pdf / "mini-trainershandleiding.pdf"
    text = pages(guide)
    page = next(i + 1 for i, page in enumerate(text) if page.startswith("Kopieerblad · Module 1 · Een week rondkomen Rolkaarten "))
    at = words(guide, page)
    (x1, y1), (x2, y2), (x3, y3) = at["1/3"], at["2/3"], at["3/3"]
    assert abs(y1 - y2) < 1 and x2 - x1 > 75, "the first two cards side by side, each half the width"
    assert abs(x3 - x1) < 1 and y3 - y1 > 60, "the third card on the next row, under the first"
    form = words(guide, page + 1)
    assert form["samengevat?"][1] - form["gesteld?"][1] > 20, "an empty cell of a form is a box to write in"


def test_a_sheet_of_up_to_eight_cards_is_one_page_to_copy(shipped_pdf):
    """Eight observation cards or eight stories for the envelopes: a trainer copies one page per
    sheet, and no page of the copy sheets holds only the licence line."""
    guide = shipped_pdf / "kinderarmoede-sociaal-domein-trainershandleiding.pdf"
    text = pages(guide)
    for sheet in ("Observatiekaarten", "Verhalen voor de enveloppen"):
        first = [i for i, page in enumerate(text) if f"{sheet} · 1/8" in page]
        last = [i for i, page in enumerate(text) if f"{sheet} · 8/8" in page]
        assert first and first == last, f"{sheet}: cards 1 and 8 on pages {first} and {last}"
    licence = "kopiëren voor je eigen training mag"
    alone = [i + 1 for i, page in enumerate(text) if licence in page and len(re.sub(r"\d+", "", page.replace(licence, ""))) < 80]
    assert alone == [], f"pages with only the licence line: {alone}"


# -- Options ---------------------------------------------------------------------------------------

def test_same_sources_give_the_same_bytes(mini_pdf, tmp_path):
    result = run("build", ROOTS / "mini", "--out", tmp_path, "--format", "workbook", "--quiet")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pdf" / "mini-werkboek.pdf").read_bytes() == (mini_pdf / "mini-werkboek.pdf").read_bytes()


def test_one_module_as_handout_with_english_names_and_course_styles(tmp_path):
    course = copy_root("mini", tmp_path)
    config = course / "course.yml"
    config.write_text(config.read_text().replace("language: nl", "language: en"))
    Image.new("L", (3000, 300), 0).save(course / "02-twee" / "media" / "huis.png")  # far wider than the page
    (course / "templates" / "pdf").mkdir(parents=True)
    (course / "templates" / "pdf" / "workbook.css").write_text('.module-title::before { content: "HOUSE-STYLE "; colr: red; }\n')
    result = run("build", course, "--out", tmp_path / "out", "--module", "twee", "--format", "workbook", "--format", "trainer", "--quiet")
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "colr" in result.output
    out = tmp_path / "out" / "pdf"
    assert sorted(p.name for p in out.iterdir()) == ["mini-twee-trainer-guide.pdf", "mini-twee-workbook.pdf"]
    handout = whole(out / "mini-twee-workbook.pdf")
    assert "HOUSE-STYLE Module twee" in handout and "Module één" not in handout
    assert "Learning goals" in handout and "Answer key" in handout
    assert "HOUSE-STYLE" not in whole(out / "mini-twee-trainer-guide.pdf")
    for page in range(1, len(pages(out / "mini-twee-workbook.pdf")) + 1):
        _assert_inside_margins(out / "mini-twee-workbook.pdf", page, tmp_path)


def test_a_course_past_the_page_limit_is_printed_in_volumes_one_per_part(tmp_path, monkeypatch):
    monkeypatch.setattr(PdfBuilder, "page_limit", 10)  # mini is estimated at ~18 pages, each part at ~13
    build(ROOTS / "mini", tmp_path, ["workbook", "trainer"], BuildOptions())
    kinds = ("trainershandleiding", "werkboek")
    assert sorted(p.name for p in (tmp_path / "pdf").iterdir()) == [
        f"mini-{kind}-deel-{number}.pdf" for kind in kinds for number in (1, 2)
    ]
    course = _course(ROOTS / "mini")
    for kind in kinds:
        volumes = [tmp_path / "pdf" / f"mini-{kind}-deel-{number}.pdf" for number in (1, 2)]
        for number, volume in enumerate(volumes, 1):
            cover = pages(volume)[0]
            assert course.title in cover and f"Deel {number}" in cover, cover
            assert PdfReader(volume).metadata.title.endswith(f", Deel {number}")
        for module in course.modules:
            found = [volume.name for volume in volumes if f"{normalize(module.title)} " in whole(volume)]
            assert len(found) == 1, (module.id, found)
            goal = normalize(module.goals[0].text)
            assert sum(goal in whole(volume) for volume in volumes) == 1, (module.id, goal)
        # Module een links to a section of module twee, printed in the other volume: the link's text
        # says where to find it.
        document = {"werkboek": "Werkboek", "trainershandleiding": "Trainershandleiding"}[kind]
        assert f"link naar twee (zie {document}, deel 2) en vet" in whole(volumes[0])


def test_module_html_is_made_to_fit_one_document():
    from cursus.pdfdoc import Localizer

    course = _course(ROOTS / "mini")
    localize = Localizer(course, [course.module("een"), course.module("twee")])
    html = localize(
        'Zie <a href="twee.html#verdieping">twee</a> &amp; <a href="#inleiding">hier</a>'
        '<h2 id="x" aria-labelledby="x y">T</h2><img src="media/02-twee/media/huis.png" alt="huis">',
        "een",
    )
    assert html.startswith('Zie <a href="#twee--verdieping">twee</a> &amp; <a href="#een--inleiding">hier</a>')
    assert '<h2 id="een--x" aria-labelledby="een--x een--y">T</h2>' in html
    assert 'src="file:///' in html and html.count("huis.png") == 1
    handout = Localizer(course, [course.module("een")])
    assert handout('<a href="twee.html#verdieping">twee</a>', "een") == "<a>twee</a>"


def test_an_unchanged_document_is_not_printed_again(mini: Path, tmp_path: Path, monkeypatch):
    """A PDF printed from the same HTML, stylesheets and images is taken from the cache; changing an
    image, or trainer-only text (the guide, not the workbook), prints again what it changes."""
    from cursus.builders import pdf

    printed: list[str] = []
    submit = pdf.submit
    monkeypatch.setattr(pdf, "submit", lambda job: printed.append(job.html) or submit(job))
    out = tmp_path / "out"

    def build() -> dict[str, bytes]:
        printed.clear()
        assert run("build", mini, "--out", out, "--format", "workbook", "--format", "trainer").exit_code == 0
        return {p.name: p.read_bytes() for p in (out / "pdf").iterdir()}

    first = build()
    assert len(printed) == 2
    assert build() == first and printed == [], "nothing changed: nothing printed, the same bytes"

    module = mini / "01-een.md"
    module.write_text(module.read_text("utf-8").replace("GEHEIM-TRAINER-REFLECTIE", "GEHEIM-TRAINER-ANDERS"), "utf-8")
    again = build()
    assert len(printed) == 1 and "GEHEIM-TRAINER-ANDERS" in printed[0], "only the trainer guide is printed again"
    assert again["mini-werkboek.pdf"] == first["mini-werkboek.pdf"]

    image = mini / "02-twee" / "media" / "huis.png"
    image.write_bytes(image.read_bytes() + b"\0")  # the same HTML, another image file
    build()
    assert len(printed) == 2


PAGE_NUMBERS = """<html lang="nl"><style>
a::after { content: target-counter(attr(href url), page) }
a.own::after { content: target-counter(attr(href url), page) " (hier " counter(page) ")" }
section { break-before: page }
</style><body>
<p><a href="#c">vooruit</a></p>
<section id="b"><p>B</p></section><section id="c"><p>C</p></section>
<section><p><a href="#b">terug</a></p></section>
<section><p><a class="own" href="#b">terug, met eigen pagina</a></p></section>
</body></html>"""

LAY_OUT = """
import sys
import weasyprint.layout.page as P
from weasyprint import HTML
from cursus import pdfrender
if sys.argv[1] == "mended":
    pdfrender._lay_out_page_numbers_once()
made, remake = [], P.remake_page
P.remake_page = lambda index, *rest: made.append(index) or remake(index, *rest)
document = HTML(string=sys.stdin.read()).render(pdf_variant="pdf/ua-1")
sys.stdout.buffer.write(document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=b"x"))
print(*(made.count(page) for page in range(len(document.pages))), file=sys.stderr)
"""


def test_page_numbers_are_laid_out_once_with_the_same_result():
    """The PDF worker's mend of WeasyPrint's page numbers (``pdfrender._lay_out_page_numbers_once``)
    prints the same bytes as WeasyPrint alone, with fewer page layouts. This fails when a WeasyPrint
    upgrade changes what the mend relies on (the mend then leaves WeasyPrint alone: no speed-up)."""
    results = {}
    for variant in ("plain", "mended"):
        done = subprocess.run([sys.executable, "-c", LAY_OUT, variant], input=PAGE_NUMBERS.encode(), capture_output=True, check=True)
        results[variant] = done.stdout, [int(n) for n in done.stderr.decode().split()[-5:]]
    (plain, plain_layouts), (mended, mended_layouts) = results["plain"], results["mended"]
    assert mended == plain
    text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=mended, capture_output=True, check=True).stdout.decode().split())
    assert "vooruit3" in text and "terug2" in text and "terug, met eigen pagina2 (hier 5)" in text
    # Layouts of each of the five pages. Pointing forward: twice (the number is known only once its
    # target's page is laid out); pointing back: once; a number mixed with the page's own counter
    # is left to WeasyPrint.
    assert mended_layouts[:4] == [2, 1, 1, 1], (plain_layouts, mended_layouts)
    assert sum(plain_layouts) > sum(mended_layouts) + 2, (plain_layouts, mended_layouts)


PREPARE = r"""
import cffi, resource, sys
if sys.argv[1] == "refuse-sonames":
    # A system where WeasyPrint's own list of names cannot open GObject: only the linker's
    # lookup finds it (cffi opens what find_library answers below this wrapper).
    dlopen = cffi.FFI.dlopen
    def refusing(self, name, *args):
        if name == "libgobject-2.0.so.0":
            raise OSError(name)
        return dlopen(self, name, *args)
    cffi.FFI.dlopen = refusing
from cursus.pdfrender import prepare_worker
prepare_worker()
import weasyprint.text.ffi
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(weasyprint.text.ffi.pango is not None, round(children.ru_utime + children.ru_stime, 3), file=sys.stderr)
"""


@pytest.mark.parametrize("system", ["usual", "refuse-sonames"])
def test_a_pdf_worker_starts_without_running_other_programs(system):
    """Preparing a PDF worker imports WeasyPrint without the linker lookups that cost 0.3 s of its
    start (ldconfig, gcc and ld run as other programs); where WeasyPrint's names alone do not open
    a library, the import is done again the usual way, and nothing reaches stdout (the PDF's channel)."""
    done = subprocess.run([sys.executable, "-c", PREPARE, system], capture_output=True, check=True)
    assert done.stdout == b""
    opened, children_cpu = done.stderr.decode().split()[-2:]
    assert opened == "True"
    if system == "usual":
        assert float(children_cpu) == 0
    else:
        assert float(children_cpu) > 0
