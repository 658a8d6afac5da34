"""The shipped course is complete: every module has what issue 6 asks of it, in the right amounts."""

from __future__ import annotations

import re

import pytest

from conftest import COURSE
from cursus.diagnostics import Diagnostics
from cursus.loader import load_course
from cursus.model import Block, Html, Module, for_learners
from cursus.render import URL

READING = ("case", "example", "term")
"""Blocks that are reading material rather than activities."""


def _load():
    diagnostics = Diagnostics()
    course = load_course(COURSE, diagnostics).course
    assert not diagnostics.errors, diagnostics.errors
    return course


COURSE_MODEL = _load()
MODULES = COURSE_MODEL.modules
LEARNER_MODULES = {m.id: m for m in for_learners(COURSE_MODEL).modules}


def words(module: Module) -> int:
    """Count the words of a module's reading content: prose, cases, examples and terms."""
    texts = [node.html for node in module.body if isinstance(node, Html)]
    texts += [node.html for block in module.blocks() if block.kind in READING for node in block.body if isinstance(node, Html)]
    plain = re.sub(r"<[^>]+>", " ", " ".join(texts))
    return len(re.findall(r"\w+", plain))


def test_structure_of_the_course():
    assert [p.title for p in COURSE_MODEL.parts] == ["Inleiding", "Signaleren", "Ondersteunen", "Stimuleren", "Afsluiting"]
    assert len(MODULES) == 18
    assert [len(p.modules) for p in COURSE_MODEL.parts] == [2, 3, 5, 6, 2]
    assert COURSE_MODEL.study_load >= COURSE_MODEL.minutes / 60
    assert sum(s.minutes for s in COURSE_MODEL.schedule) >= 4 * 180


@pytest.mark.parametrize("module", MODULES, ids=[m.id for m in MODULES])
def test_every_module_is_complete(module: Module):
    assert 3 <= len(module.goals) <= 5
    assert 800 <= words(module) <= 2000, words(module)
    assert module.duration > 0
    reflections = module.blocks("reflection")
    assert len(reflections) >= 2
    exercises = module.blocks("exercise")
    assert exercises and all(e.children("steps") and e.children("trainer") for e in exercises)
    checks = module.blocks("check")
    assert len(checks) >= 3
    assert all(option.feedback_html for check in checks for option in check.options)
    assert module.blocks("case")
    sources = [s for block in module.blocks("sources") for s in block.sources]
    assert sources and all(s.urls for s in sources)


@pytest.mark.parametrize("module", MODULES, ids=[m.id for m in MODULES])
def test_sources_are_the_briefs(module: Module):
    """Every URL a module cites appears in the facts brief or its source texts (no invented URLs)."""
    brief = (COURSE.parent.parent / "shared" / "content").resolve()
    known = " ".join(p.read_text("utf-8") for p in brief.rglob("*") if p.is_file())
    known_urls = {u.rstrip(".,;)") for u in URL.findall(known)}
    cited = {url for block in module.blocks("sources") for s in block.sources for url in s.urls}
    assert cited <= known_urls | {u + "/" for u in known_urls} | {u.rstrip("/") for u in known_urls}, cited - known_urls


def test_the_introduction_says_the_course_arranges_the_methods_itself():
    intro = " ".join(node.html for node in MODULES[0].body if isinstance(node, Html)).lower()
    assert "handreiking" in intro
    assert "eigen" in intro  # "op een eigen manier" / "eigen indeling": the arrangement is the course's own


def test_the_overleefhuis_module_has_alternatives_and_aftercare():
    module = COURSE_MODEL.module("overleefhuis")
    text = " ".join(re.sub(r"<[^>]+>", " ", n.html) for b in [module] for n in b.body if isinstance(n, Html))
    text += " ".join(re.sub(r"<[^>]+>", " ", n.html) for blk in module.blocks() for n in blk.body if isinstance(n, Html))
    for name in ("Onzichtbaar Den Haag", "Beleefhuis", "Armoede-Experience", "Budgetspel", "nazorg"):
        assert name.lower() in text.lower(), name


def _learner_texts(nodes) -> list[str]:
    """Return the HTML a learner reads in *nodes*: prose, blocks, options and feedback (not the source lists)."""
    texts = []
    for node in nodes:
        if isinstance(node, Html):
            texts.append(node.html)
        elif node.kind != "sources":
            texts.append(node.html or "")
            texts += [part for option in node.options for part in (option.html, option.feedback_html)]
            texts += _learner_texts(node.body)
    return texts


def sentences(module: Module) -> list[int]:
    """Return the length in words of every sentence a learner reads in *module* (tables and code left out;
    a colon ends a sentence too, as it does for a reader)."""
    return sentence_lengths(" ".join(_learner_texts(module.body)))


def sentence_lengths(html: str) -> list[int]:
    """Return the length in words of every sentence of *html* (tables and code left out)."""
    html = re.sub(r"<(table|pre)\b.*?</\1>", " ", html, flags=re.S)
    plain = re.sub(r"<[^>]+>", " ", re.sub(r"</(p|li|h\d|dd|dt|blockquote)>", ". ", html))
    found = (re.findall(r"[\w'’-]+", s) for s in re.split(r"(?<=[.!?:])\s+|(?<=[.!?:][\"”’'])\s+", " ".join(plain.split())))
    return [len(words) for words in found if len(words) >= 3]


@pytest.mark.parametrize("module", MODULES, ids=[m.id for m in MODULES])
def test_learners_read_short_sentences(module: Module):
    """Plain Dutch (B1) for learners: short sentences on average, few long ones and none very long.
    Trainer notes are left out (trainers read them); a quote or a name may make a sentence longer."""
    lengths = sentences(LEARNER_MODULES[module.id])
    assert len(lengths) > 100
    assert sum(lengths) / len(lengths) <= 12
    assert sum(length > 20 for length in lengths) <= 0.08 * len(lengths)
    assert max(lengths) <= 27


PRINTED = re.compile(r"kaart|formulier|brieven|\bvel\b|\bblad\b|\bA4\b", re.I)
"""Materials a trainer would have to write and print: cards, forms, letters, sheets."""


@pytest.mark.parametrize("module", MODULES, ids=[m.id for m in MODULES])
def test_exercises_come_with_the_copy_sheets_their_materials_name(module: Module):
    """An exercise whose materials name cards, forms or letters has them as copy sheets, written in
    plain Dutch: participants read them."""
    for exercise in module.blocks("exercise"):
        materials = " ".join(block.text for block in exercise.children("materials"))
        sheets = exercise.children("sheet")
        if PRINTED.search(materials):
            assert sheets, (module.id, exercise.title, PRINTED.search(materials)[0])
        lengths = sentence_lengths(" ".join(sheet.html for sheet in sheets))
        assert not lengths or max(lengths) <= 25, (module.id, exercise.title, max(lengths))


@pytest.mark.parametrize("module", MODULES, ids=[m.id for m in MODULES])
def test_a_student_alone_can_do_every_exercise(module: Module):
    """A student who studies alone (online) does each group exercise in a version of their own, with an
    answer field, using only what learners can read (copy sheets are the trainer's)."""
    for exercise in LEARNER_MODULES[module.id].blocks("exercise"):
        alone = [block for block in exercise.children("reflection") if block.title == "Alleen aan de slag"]
        assert len(alone) == 1, (module.id, exercise.title)
        assert alone[0].id == f"{exercise.id}-alleen" and set(alone[0].goals) <= set(exercise.goals), alone[0].id
        assert not re.search(r"kopieerblad|rolkaart|dilemmakaart", alone[0].text, re.I), alone[0].text


def test_each_family_in_the_cases_and_role_cards_has_names_of_its_own():
    """A person introduced with an age ("Lisa (38)") appears in one module only: a trainer who meets the
    same child's name in two families of the course, at two ages, loses track of who is who."""
    modules: dict[str, set[str]] = {}
    for path in sorted(COURSE.glob("*.md")):
        for name in re.findall(r"\b([A-Z][a-zë]+) \(\d{1,2}\)", path.read_text("utf-8")):
            modules.setdefault(name, set()).add(path.name)
    assert not {name: found for name, found in modules.items() if len(found) > 1}


def test_every_session_of_the_programme_fits_its_time_and_plans_its_exercises():
    """The trainer guide's programme: each session's timetable adds up to its minutes, and every exercise
    of its modules is in it by name."""
    for session in COURSE_MODEL.schedule:
        minutes = [int(n) for n in re.findall(r"\((\d+)(?: min)?[;)]", session.note)]
        assert sum(minutes) == session.minutes, (session.title, minutes)
        note = re.sub(r"[^\w\s]", "", session.note.lower())
        for module_id in session.modules:
            for exercise in COURSE_MODEL.module(module_id).blocks("exercise"):
                start = " ".join(re.sub(r"[^\w\s]", "", exercise.title.lower()).split()[:2])
                assert start in note, (session.title, exercise.title)


@pytest.mark.parametrize("module", MODULES, ids=[m.id for m in MODULES])
def test_feedback_does_not_repeat_the_verdict_shown_above_it(module: Module):
    """The page shows "Goed" or "Niet goed" above each option's feedback; the feedback goes on from there."""
    for check in module.blocks("check"):
        for option in check.options:
            feedback = re.sub(r"<[^>]+>", "", option.feedback_html).strip()
            assert not re.match(r"(Goed|Niet goed)\b[.:!]", feedback), (check.id, feedback[:40])
