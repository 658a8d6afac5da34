"""Trainer-only content never reaches learners: not in the website, not in any SCORM package,
not in the participant workbook; and it is all in the trainer guide."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import COURSE, _shared_build
from cursus.diagnostics import Diagnostics
from cursus.loader import load_course


def trainer_snippets() -> list[str]:
    """A distinctive run of words from every trainer block of the shipped course."""
    course = load_course(COURSE, Diagnostics()).course
    snippets = []
    for module in course.modules:
        for block in module.blocks("trainer"):
            words = re.findall(r"[\wëïéèöüá'’-]+", block.text)
            if len(words) >= 6:
                snippets.append(" ".join(words[:6]))
    return snippets


SNIPPETS = trainer_snippets()


def plain(text: str) -> str:
    """Fold markup and whitespace so a snippet is found however it was rendered."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = text.replace("&amp;", "&").replace("&#39;", "'").replace("&quot;", '"')
    return " ".join(re.findall(r"[\wëïéèöüá'’-]+", text))


@pytest.fixture(scope="session")
def learner_texts(tmp_path_factory) -> dict[str, str]:
    """All text of every learner-facing output of the shipped course, by output name."""
    web = _shared_build(tmp_path_factory, "shipped-web", COURSE, "web") / "web"
    scorm = _shared_build(tmp_path_factory, "shipped-scorm", COURSE, "scorm12", "scorm2004")
    pdf = _shared_build(tmp_path_factory, "shipped-pdf", COURSE, "workbook", "trainer") / "pdf"
    texts = {"web": plain(" ".join(p.read_text("utf-8") for p in web.rglob("*") if p.suffix in (".html", ".js")))}
    for package in sorted(scorm.rglob("*.zip")):
        with zipfile.ZipFile(package) as archive:
            names = [n for n in archive.namelist() if n.endswith((".html", ".js", ".xml"))]
            texts[package.parent.name] = plain(" ".join(archive.read(n).decode("utf-8") for n in names))
    texts["workbook"] = plain(" ".join(page.extract_text() or "" for page in PdfReader(next(pdf.glob("*-werkboek.pdf"))).pages))
    texts["trainer"] = plain(" ".join(page.extract_text() or "" for page in PdfReader(next(pdf.glob("*-trainershandleiding.pdf"))).pages))
    return texts


def test_the_shipped_course_has_trainer_notes_to_protect():
    assert len(SNIPPETS) >= 18 * 3


@pytest.mark.parametrize("output", ["web", "scorm12", "scorm2004", "workbook"])
def test_no_trainer_note_in_learner_outputs(learner_texts, output):
    leaked = [snippet for snippet in SNIPPETS if snippet in learner_texts[output]]
    assert not leaked, f"{len(leaked)} trainer notes leak into {output}, e.g. {leaked[0]!r}"


def test_every_trainer_note_is_in_the_trainer_guide(learner_texts):
    guide = learner_texts["trainer"]
    missing = [snippet for snippet in SNIPPETS if snippet not in guide]
    # PDF text extraction may break a line inside a snippet; allow a few, not a systematic loss.
    assert len(missing) <= len(SNIPPETS) // 10, missing[:5]
