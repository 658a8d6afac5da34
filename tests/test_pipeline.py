"""The pipeline: builders plug in by name, output is published all at once, never half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run
from cursus import builders
from cursus.builders import Builder
from cursus.diagnostics import CursusError
from cursus.model import TRAINER, Html
from cursus.output import OutputFolder, OutputTree


class Recorder(Builder):
    """A test format that records which view of the course it was given."""

    name = "recorder"
    folder = "recorder"
    seen: list = []

    def build(self, course, out):
        Recorder.seen.append(course)
        out.write_text("modules.txt", "\n".join(m.id for m in course.modules))
        text = "".join(node.html for m in course.modules for b in m.blocks() for node in b.body if isinstance(node, Html))
        out.write_text("text.txt", text)


class TrainerRecorder(Recorder):
    name = "trainer-recorder"
    folder = "trainer-recorder"
    audience = TRAINER


class Failing(Builder):
    """A format that writes a file and then fails, as a broken renderer would."""

    name = "failing"
    folder = "web"

    def build(self, course, out):
        out.write_text("index.html", "half-written")
        raise CursusError("the failing format failed")


@pytest.fixture
def fake_formats(monkeypatch):
    classes = {"recorder": Recorder, "trainer-recorder": TrainerRecorder, "failing": Failing}
    monkeypatch.setattr(builders, "FORMATS", {**builders.FORMATS, **{k: f"x:{k}" for k in classes}})
    original = builders.builder_class
    monkeypatch.setattr("cursus.build.builder_class", lambda name: classes.get(name) or original(name))
    monkeypatch.setattr("cursus.build.FORMATS", builders.FORMATS)


def test_learner_formats_never_see_trainer_notes(mini: Path, tmp_path: Path, fake_formats):
    from cursus.build import build
    from cursus.builders import BuildOptions

    build(mini, tmp_path / "out", ["recorder", "trainer-recorder"], BuildOptions())

    learner = (tmp_path / "out" / "recorder" / "text.txt").read_text()
    trainer = (tmp_path / "out" / "trainer-recorder" / "text.txt").read_text()
    assert "GEHEIM-TRAINER" not in learner
    assert "GEHEIM-TRAINER-REFLECTIE" in trainer and "GEHEIM-TRAINER-OEFENING" in trainer
    assert (tmp_path / "out" / "recorder" / "modules.txt").read_text() == "een\ntwee"


def test_a_failing_format_leaves_the_previous_output_intact(mini: Path, tmp_path: Path, fake_formats):
    from cursus.build import build
    from cursus.builders import BuildOptions

    out = tmp_path / "out"
    (out / "web").mkdir(parents=True)
    (out / "web" / "index.html").write_text("previous build")

    with pytest.raises(CursusError):
        build(mini, out, ["recorder", "failing"], BuildOptions())

    assert (out / "web" / "index.html").read_text() == "previous build"
    assert sorted(p.name for p in out.iterdir()) == ["web"], "nothing staged is left behind"


def test_output_folder_that_cannot_be_written(mini: Path, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the output folder should be")

    result = run("build", mini, "--out", blocked, "--format", "web")

    assert result.exit_code == 1
    assert "cannot write to the output folder" in result.output
    assert "Traceback" not in result.output
    assert blocked.read_text() == "a file where the output folder should be"


def test_unknown_module_option_is_refused(mini: Path, tmp_path: Path):
    result = run("build", mini, "--out", tmp_path / "out", "--format", "web", "--module", "nope")
    assert result.exit_code == 1
    assert "--module: no module with id 'nope' (known: een, twee)" in result.output


def test_output_paths_are_confined_and_written_once(tmp_path: Path):
    folder = OutputFolder(tmp_path)
    folder.write_text("a/b.txt", "x")
    for bad in ("../escape.txt", "/etc/passwd", "a/../../x"):
        with pytest.raises(ValueError, match="escapes"):
            folder.write_text(bad, "x")
    with pytest.raises(ValueError, match="twice"):
        folder.write_text("A/B.txt", "case-insensitive filesystems would clash")
    assert not (tmp_path.parent / "escape.txt").exists()


def test_merged_folders_keep_other_formats_files(tmp_path: Path):
    out = tmp_path / "out"
    (out / "pdf").mkdir(parents=True)
    (out / "pdf" / "trainer.pdf").write_text("from an earlier build")
    with OutputTree(out) as tree:
        tree.folder("pdf", merge=True).write_text("workbook.pdf", "new")
        tree.commit()
    assert sorted(p.name for p in (out / "pdf").iterdir()) == ["trainer.pdf", "workbook.pdf"]


def _module_with(mini: Path, prose: str, in_block: str) -> None:
    """Add *prose* after the module's first heading and *in_block* at the start of its term block."""
    path = mini / "01-een.md"
    text = path.read_text("utf-8")
    text = text.replace("## Inleiding\n", f"## Inleiding\n\n{prose}\n", 1).replace("::: term Schaarste\n", f"::: term Schaarste\n{in_block}\n", 1)
    path.write_text(text, "utf-8")


def test_link_references_and_abbreviations_hold_for_the_whole_module(mini: Path, tmp_path: Path):
    _module_with(mini, "Zie [het NJi][nji] en het CJG.\n\n[nji]: https://www.nji.nl/\n*[CJG]: Centrum voor Jeugd en Gezin\n",
                 "Ook bij het CJG, zie [NJi][nji].\n")
    assert run("build", mini, "--out", tmp_path, "--format", "web").exit_code == 0
    page = (tmp_path / "web" / "een.html").read_text("utf-8")
    term = page[page.index('id="term-'):]
    assert '<a href="https://www.nji.nl/">NJi</a>' in term, "a reference defined in the prose works inside a block"
    assert '<abbr title="Centrum voor Jeugd en Gezin">CJG</abbr>' in term


def test_raw_html_left_open_still_renders_every_block(mini: Path, tmp_path: Path):
    """An unclosed <div> swallows the markers between a module's pieces: they are then converted one by one."""
    _module_with(mini, "<div class=\"kader\">\nOpen kader.\n", "Uitleg in het blok.\n")
    assert run("build", mini, "--out", tmp_path, "--format", "web").exit_code == 0
    page = (tmp_path / "web" / "een.html").read_text("utf-8")
    assert "Open kader." in page
    term = page[page.index('id="term-'):]
    assert "<p>Uitleg in het blok.</p>" in term[:2000], "the block after the open <div> is still Markdown"
    assert "CURSUSPIECEBREAK" not in page
