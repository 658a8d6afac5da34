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
    with pytest.raises(ValueError, match="twice") as clash:
        folder.write_text("A/B.txt", "case-insensitive filesystems would clash")
    assert isinstance(clash.value, CursusError), "the command line prints it as a message, not a traceback"
    assert not (tmp_path.parent / "escape.txt").exists()


def test_merged_folders_keep_other_formats_files(tmp_path: Path):
    out = tmp_path / "out"
    (out / "pdf").mkdir(parents=True)
    (out / "pdf" / "trainer.pdf").write_text("from an earlier build")
    with OutputTree(out) as tree:
        tree.folder("pdf", merge=True).write_text("workbook.pdf", "new")
        tree.commit()
    assert sorted(p.name for p in (out / "pdf").iterdir()) == ["trainer.pdf", "workbook.pdf"]


def _published(out: Path) -> dict[str, bytes]:
    """Return every published file of the web and SCORM outputs with its bytes."""
    folders = [out / name for name in ("web", "scorm12", "scorm2004")]
    return {str(p.relative_to(out)): p.read_bytes() for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_rebuild_over_published_output_equals_a_clean_build_and_leaves_unchanged_files_alone(mini: Path, tmp_path: Path):
    from cursus.build import build
    from cursus.builders import BuildOptions

    formats = ["web", "scorm12", "scorm2004"]
    out = tmp_path / "out"
    build(mini, out, formats, BuildOptions())
    style = (out / "web" / "cursus.css").stat()
    # A person edits a published file and puts one of their own beside it.
    (out / "web" / "index.html").write_text("edited by hand", "utf-8")
    (out / "web" / "notes").mkdir()
    (out / "web" / "notes" / "mine.txt").write_text("x", "utf-8")
    # The second module moves to another folder: its image is published under a new path.
    (mini / "02-twee").rename(mini / "02-tweede")
    config = mini / "course.yml"
    config.write_text(config.read_text("utf-8").replace("[02-twee]", "[02-tweede]"), "utf-8")
    source = mini / "01-een.md"
    text = source.read_text("utf-8").replace("Dit is de inleiding", "Dit is de NIEUWE inleiding")
    source.write_text(text.replace("02-twee/", "02-tweede/"), "utf-8")
    before = _published(out)
    assert any("02-twee/" in name for name in before)

    build(mini, out, formats, BuildOptions())

    build(mini, tmp_path / "clean", formats, BuildOptions())
    rebuilt, clean = _published(out), _published(tmp_path / "clean")
    assert sorted(rebuilt) == sorted(clean), "files of the old layout and the person's own files are gone"
    assert [name for name in clean if rebuilt[name] != clean[name]] == []
    assert not (out / "web" / "media" / "02-twee").exists() and not (out / "web" / "notes").exists()
    assert "NIEUWE inleiding" in rebuilt["web/een.html"].decode()
    after = (out / "web" / "cursus.css").stat()
    assert (after.st_ino, after.st_mtime_ns) == (style.st_ino, style.st_mtime_ns), \
        "a file whose bytes did not change is not written again (deploy tools see no change)"
    assert not [p for p in out.iterdir() if p.name.startswith(".cursus-staging")]


def test_a_failed_rebuild_leaves_the_published_output_as_it_was(mini: Path, tmp_path: Path):
    out = tmp_path / "out"
    assert run("build", mini, "--out", out, "--format", "web", "--format", "scorm12").exit_code == 0
    before = _published(out)
    source = mini / "01-een.md"
    source.write_text(source.read_text("utf-8").replace("Dit is de inleiding", "Dit is de NIEUWE inleiding"), "utf-8")
    (mini / "02-twee" / "media" / "huis.png").unlink()

    result = run("build", mini, "--out", out, "--format", "web", "--format", "scorm12")

    assert result.exit_code == 1 and "huis.png" in result.output
    assert _published(out) == before


def test_publishing_replaces_a_file_by_a_folder_and_a_folder_by_a_file(tmp_path: Path):
    out = tmp_path / "out"
    with OutputTree(out) as tree:
        tree.folder("web").write_text("a", "a file")
        tree.folder("web").write_text("b/c.txt", "in a folder")
        tree.folder("web").write_text("same.txt", "same")
        tree.commit()
    with OutputTree(out) as tree:
        tree.folder("web").write_text("a/inside.txt", "now a folder")
        tree.folder("web").write_text("b", "now a file")
        tree.folder("web").write_text("same.txt", "same")
        tree.commit()
    files = {str(p.relative_to(out / "web")): p.read_text() for p in (out / "web").rglob("*") if p.is_file()}
    assert files == {"a/inside.txt": "now a folder", "b": "now a file", "same.txt": "same"}


def test_a_link_in_the_published_folder_is_never_written_through(tmp_path: Path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "page.html").write_text("not cursus's to change")
    with OutputTree(out) as tree:
        tree.folder("web").write_text("index.html", "one")
        tree.commit()
    (out / "web" / "media").symlink_to(elsewhere, target_is_directory=True)
    with OutputTree(out) as tree:
        tree.folder("web").write_text("index.html", "two")
        tree.folder("web").write_text("media/page.html", "from the build")
        tree.commit()
    assert (elsewhere / "page.html").read_text() == "not cursus's to change"
    assert not (out / "web" / "media").is_symlink() and (out / "web" / "media" / "page.html").read_text() == "from the build"


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
