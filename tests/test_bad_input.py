"""Bad input: every case names file, line and key, exits 1 without a traceback, and leaves build/ untouched."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from conftest import run


def edit(path: Path, old: str, new: str) -> None:
    """Replace *old* by *new* in a fixture file, failing loudly if *old* is not there."""
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")


def module(course: Path, name: str = "01-een.md") -> Path:
    return course / name


# Each case: (id, mutation, expected fragments of the diagnostic line).
CASES = [
    ("malformed-yaml", lambda c: edit(c / "course.yml", "title: Mini cursus", "title: [Mini cursus"),
     ["course.yml:2: error: invalid YAML", "noticed on line 3"]),
    ("tab-indentation", lambda c: edit(module(c), "  - id: lg1\n", "\t- id: lg1\n"),
     ["01-een.md:8: error", "tab character"]),
    ("wrong-type", lambda c: edit(module(c), "duration: 30", "duration: lang"),
     ["01-een.md:5: error: duration: expected a whole number"]),
    ("unknown-front-matter-key", lambda c: edit(module(c), "duration: 30", "duration: 30\ncolour: red"),
     ["01-een.md:6: error: colour: unknown key"]),
    ("unknown-course-key", lambda c: edit(c / "course.yml", "version: 1.0.0", "version: 1.0.0\nauthor: Piet"),
     ["course.yml:5: error: author: unknown key"]),
    ("missing-required-key", lambda c: edit(module(c), "title: Module één\n", ""),
     ["01-een.md:2: error", "missing required key 'title'"]),
    ("wrong-type-nested", lambda c: edit(module(c), "  - id: lg2\n", "  - id: 2\n"),
     ["01-een.md:10: error: goals[1].id: expected an id"]),
    # A module's page would be the website's glossary page (or a single SCO's launch page).
    ("reserved-module-id", lambda c: (edit(c / "02-twee" / "index.md", "id: twee", "id: glossary"), edit(c / "course.yml", "[een, twee]", "[een, glossary]")),
     ["02-twee/index.md:2: error: id: 'glossary' is the name of one of the site's own pages"]),
    ("duplicate-module-id", lambda c: edit(c / "02-twee" / "index.md", "id: twee", "id: een"),
     ["02-twee/index.md:2: error: id: module id 'een' is also used"]),
    ("duplicate-goal-id", lambda c: edit(module(c), "  - id: lg2", "  - id: lg1"),
     ["01-een.md:10: error: goals[1].id: goal id 'lg1' is used twice"]),
    ("goal-not-served", lambda c: edit(module(c), "    text: Je kunt een stap zetten.\n", "    text: Je kunt een stap zetten.\n  - id: lg3\n    text: Nergens gebruikt.\n"),
     ["01-een.md:12: error: goals[2]: goal 'lg3' is not served by any activity"]),
    ("dangling-goal", lambda c: edit(module(c), "{#een-r1 goals=lg1 lines=4}", "{#een-r1 goals=lg4 lines=4}"),
     ["01-een.md:22: error: reflection[een-r1].goals: unknown goal 'lg4'"]),
    ("missing-image", lambda c: edit(c / "02-twee" / "index.md", "media/huis.png", "media/weg.png"),
     ["02-twee/index.md:12: error: image: 'media/weg.png' does not exist"]),
    ("image-escapes-course", lambda c: edit(c / "02-twee" / "index.md", "media/huis.png", "../../etc/passwd"),
     ["02-twee/index.md:12: error: image", "outside the course folder"]),
    ("absolute-image-path", lambda c: edit(c / "02-twee" / "index.md", "media/huis.png", "/etc/passwd"),
     ["02-twee/index.md:12: error: image: '/etc/passwd' is an absolute path"]),
    ("symlink-out-of-course", lambda c: (os.symlink("/etc/hostname", c / "02-twee" / "media" / "link.png"),
                                         edit(c / "02-twee" / "index.md", "media/huis.png", "media/link.png")),
     ["02-twee/index.md:12: error: image", "outside the course folder"]),
    ("empty-module", lambda c: write(module(c), ""),
     ["01-een.md: error: the module file is empty"]),
    ("binary-module", lambda c: module(c).write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00"),
     ["01-een.md: error: this is a binary file"]),
    ("not-utf8", lambda c: module(c).write_bytes(module(c).read_text("utf-8").replace("één", "\u00e9\u00e9n").encode("latin-1")),
     ["01-een.md:3: error", "not valid UTF-8"]),
    ("unclosed-block", lambda c: edit(module(c), "Een tekort dat je aandacht opslokt.\n:::\n", "Een tekort dat je aandacht opslokt.\n"),
     ["01-een.md:18: error: term", "never closed"]),
    ("no-correct-answer", lambda c: edit(module(c), "- [x] Ze trekt", "- [ ] Ze trekt"),
     ["01-een.md:30: error: check[een-kc1].options: no option is marked correct"]),
    ("two-correct-single", lambda c: edit(module(c), "- [ ] Niets.", "- [x] Niets."),
     ["01-een.md:30: error: check[een-kc1].options: 2 options are marked correct"]),
    ("module-listed-twice", lambda c: edit(c / "course.yml", "modules: [02-twee]", "modules: [02-twee, 01-een]"),
     ["course.yml:23: error: parts[1].modules[1]: module '01-een' is listed twice"]),
    ("module-not-listed", lambda c: write(c / "03-drie.md", "---\nid: drie\ntitle: Drie\nduration: 5\ngoals: []\n---\n"),
     ["03-drie.md: error: this module is not listed in course.yml"]),
    ("module-missing", lambda c: edit(c / "course.yml", "modules: [02-twee]", "modules: [02-twee, 09-weg]"),
     ["course.yml:23: error: parts[1].modules[1]: module '09-weg' not found"]),
    ("course-yml-missing", lambda c: (c / "course.yml").unlink(),
     ["course.yml: error: course.yml is missing"]),
    ("unknown-block-type", lambda c: edit(module(c), "::: term Schaarste", "::: quiz Schaarste"),
     ["01-een.md:18: error: quiz: unknown block type 'quiz'"]),
    ("stray-closing-fence", lambda c: edit(module(c), "## Inleiding\n", "## Inleiding\n:::\n"),
     ["01-een.md:15: error", "closes no open block"]),
    ("duplicate-yaml-key", lambda c: edit(module(c), "duration: 30", "duration: 30\nduration: 40"),
     ["01-een.md:6: error: duration: this key appears twice"]),
    ("reflection-without-id", lambda c: edit(module(c), "{#een-r1 goals=lg1 lines=4}", "{goals=lg1 lines=4}"),
     ["01-een.md:22: error: reflection.id: a 'reflection' block needs an id"]),
    ("dangling-anchor", lambda c: edit(module(c), "02-twee/index.md#verdieping", "02-twee/index.md#nergens"),
     ["01-een.md:16: error: link: the anchor '#nergens' does not exist"]),
    ("link-to-unknown-module", lambda c: edit(module(c), "02-twee/index.md#verdieping", "course.yml.md"),
     ["01-een.md:16: error: link: the link to 'course.yml.md' does not point at a module"]),
    ("unknown-attribute", lambda c: edit(module(c), "{#een-r1 goals=lg1 lines=4}", "{#een-r1 goals=lg1 size=4}"),
     ["01-een.md:22: error: reflection.size: unknown attribute 'size'"]),
    ("schedule-unknown-module", lambda c: edit(c / "course.yml", "modules: [een, twee]", "modules: [een, drie]"),
     ["course.yml:16: error: schedule[0].modules[1]: unknown module id 'drie'"]),
    ("level-one-heading", lambda c: edit(module(c), "## Inleiding", "# Inleiding"),
     ["01-een.md:14: error: heading: use '##'"]),
    ("image-without-alt", lambda c: edit(c / "02-twee" / "index.md", "![Een blauw huis]", "![]"),
     ["02-twee/index.md:12: error: image: this image has no alt text"]),
    ("javascript-link", lambda c: edit(module(c), "(02-twee/index.md#verdieping)", "(javascript:alert(1))"),
     ["01-een.md:16: error: link: links with 'javascript:' are not allowed"]),
    ("part-mismatch", lambda c: edit(module(c), "part: deel-a", "part: deel-b"),
     ["01-een.md:4: error: part: the module says part 'deel-b'"]),
    ("wrong-choice", lambda c: edit(c / "course.yml", "language: nl", "language: fr"),
     ["course.yml:3: error: language: must be one of nl, en"]),
    # The accent colour goes into every page's style: a colour, and one that white text reads on.
    ("theme-accent-not-a-colour", lambda c: edit(c / "course.yml", "language: nl\n", "language: nl\ntheme:\n  accent: 'red; background: url(https://example.org/x.png)'\n"),
     ["course.yml:5: error: theme.accent: 'red; background: url(https://example.org/x.png)' is not a colour"]),
    ("theme-accent-too-light", lambda c: edit(c / "course.yml", "language: nl\n", "language: nl\ntheme:\n  accent: '#ffcc00'\n"),
     ["course.yml:5: error: theme.accent: white text on #ffcc00", "contrast of 1.5:1"]),
    ("sheet-unknown-layout", lambda c: edit(module(c), "{layout=cards}", "{layout=grid}"),
     ["01-een.md:49: error: sheet[rolkaarten].layout: layout must be 'page' or 'cards', got 'grid'"]),
    ("sheet-of-cards-without-list", lambda c: edit(module(c), "::: sheet Observatieformulier", "::: sheet Observatieformulier {layout=cards}"),
     ["01-een.md:57: error: sheet[observatieformulier].layout: a sheet of cards needs a list"]),
    ("sheet-outside-exercise", lambda c: edit(module(c), "## Inleiding\n", "## Inleiding\n\n::: sheet Los blad\nTekst.\n:::\n"),
     ["01-een.md:16: error: sheet: a 'sheet' block cannot stand at the top level"]),
    ("sheet-without-title", lambda c: edit(module(c), "::: sheet Observatieformulier", "::: sheet"),
     ["01-een.md:57: error: sheet.title: a 'sheet' block needs a title"]),
    ("no-front-matter", lambda c: write(module(c), "## Alleen tekst\n"),
     ["01-een.md:1: error: the module must start with front matter"]),
]


@pytest.mark.parametrize("mutate, expected", [pytest.param(m, e, id=i) for i, m, e in CASES])
def test_bad_input_is_reported_with_location(mini: Path, tmp_path: Path, mutate, expected, monkeypatch):
    monkeypatch.chdir(mini.parent)
    out = tmp_path / "out"
    (out / "web").mkdir(parents=True)
    (out / "web" / "index.html").write_text("previous build")
    mutate(mini)

    result = run("build", "mini", "--out", out, "--format", "web")

    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if "error" in line]
    assert any(all(fragment in line for fragment in expected) for line in lines), result.output
    assert "Traceback" not in result.output
    assert "nothing was written" in result.output
    assert (out / "web" / "index.html").read_text() == "previous build"
    assert sorted(p.name for p in out.iterdir()) == ["web"]


def test_check_prints_every_problem_not_just_the_first(mini: Path, monkeypatch):
    monkeypatch.chdir(mini.parent)
    edit(module(mini), "duration: 30", "duration: lang")
    edit(mini / "02-twee" / "index.md", "media/huis.png", "media/weg.png")
    edit(mini / "02-twee" / "index.md", "- [x] Niet mee", "- [ ] Niet mee")

    result = run("check", "mini")

    assert result.exit_code == 1
    assert "01-een.md:5: error: duration" in result.output
    assert "02-twee/index.md:12: error: image" in result.output


def test_bom_and_windows_line_endings_simply_work(mini: Path, monkeypatch):
    monkeypatch.chdir(mini.parent)
    for path in (module(mini), mini / "course.yml"):
        text = path.read_text("utf-8")
        path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))

    result = run("check", "mini", "--strict")

    assert result.exit_code == 0, result.output
    assert "Mini cursus" in result.output


def test_warnings_pass_but_fail_under_strict(mini: Path, monkeypatch):
    monkeypatch.chdir(mini.parent)
    edit(module(mini), "    Goed: dat heet tunnelen.\n", "")

    relaxed = run("check", "mini")
    strict = run("check", "mini", "--strict")

    assert relaxed.exit_code == 0
    assert "01-een.md:37: warning: check[een-kc1].options[1]: this option has no feedback" in relaxed.output
    assert strict.exit_code == 1
    assert "warning(s) found and --strict is on" in strict.output


def test_missing_course_folder(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("check", "nergens")
    assert result.exit_code == 1
    assert "nergens: error: the course folder does not exist" in result.output


TEMPLATE_CASES = [
    ("syntax-error", "partials/term.html", "{% if %}\n", ["web"], "partials/term.html:1: error: template: Expected an expression"),
    ("undefined-name", "partials/term.html", "<p>\n{{ nope }}</p>\n", ["web", "scorm12", "scorm2004"], "partials/term.html:2: error: template: 'nope' is undefined"),
    ("missing-include", "partials/term.html", "{% include 'partials/weg.html' %}\n", ["web"], "partials/term.html:1: error: template: 'partials/weg.html' not found"),
    # Only the SCORM packages use this template; with several cores they build in a process of their own.
    ("error-in-a-forked-builder", "scorm/module.html", "{% extends 'web/module.html' %}\n{% block scripts %}{{ nope.x }}{% endblock %}\n",
     ["web", "scorm12", "scorm2004"], "scorm/module.html:2: error: template: 'nope' is undefined"),
    # The SCORM packages build first and zip in the background; the website's mistake must still leave nothing.
    ("error-after-the-zips-started", "web/glossary.html", "{{ nope.x }}\n", ["web", "scorm12", "scorm2004"], "web/glossary.html:1: error: template:"),
    ("error-in-the-workbook", "pdf/workbook.html", "{{ doc.nope.x }}\n", ["workbook"], "pdf/workbook.html:1: error: template:"),
    # The course's own UI strings, on the same search path.
    ("ui-strings-not-yaml", "i18n/nl.yml", "module: Les\nnext: [Verder\n", ["web"], "i18n/nl.yml:2: error: invalid YAML"),
    ("ui-string-not-text", "i18n/nl.yml", "module: Les\nnext:\n  a: b\n", ["web", "scorm12", "scorm2004"], "i18n/nl.yml:2: error: next: a UI string must be text"),
    ("ui-strings-not-a-mapping", "i18n/nl.yml", "- Les\n", ["workbook"], "i18n/nl.yml:1: error: UI strings must be a mapping"),
]


@pytest.mark.parametrize("name, text, formats, expected", [pytest.param(*case[1:], id=case[0]) for case in TEMPLATE_CASES])
def test_a_mistake_in_a_course_template_names_its_file_and_line(mini: Path, tmp_path: Path, name, text, formats, expected, monkeypatch):
    monkeypatch.chdir(mini.parent)
    out = tmp_path / "out"
    (out / "web").mkdir(parents=True)
    (out / "web" / "index.html").write_text("previous build")
    write(mini / "templates" / name, text)

    result = run("build", "mini", "--out", out, "--jobs", "2", *[arg for f in formats for arg in ("--format", f)])

    assert result.exit_code == 1, result.output
    assert f"mini/templates/{expected}" in result.output
    assert "Traceback" not in result.output
    assert "nothing was written" in result.output
    assert (out / "web" / "index.html").read_text() == "previous build"
    assert sorted(p.name for p in out.iterdir()) == ["web"], "no staging folder is left behind"


def test_a_website_mistake_in_one_process_drops_the_zips_already_started(mini: Path, tmp_path: Path, monkeypatch):
    """With one process the SCORM packages zip in threads while the website renders; its failure publishes nothing."""
    monkeypatch.chdir(mini.parent)
    out = tmp_path / "out"
    write(mini / "templates" / "web" / "glossary.html", "{{ nope.x }}\n")

    result = run("build", "mini", "--out", out, "--jobs", "1", "--format", "scorm12", "--format", "scorm2004", "--format", "web")

    assert result.exit_code == 1, result.output
    assert "mini/templates/web/glossary.html:1: error: template:" in result.output
    assert "Traceback" not in result.output
    assert not out.exists() or sorted(p.name for p in out.iterdir()) in ([], [".cache"]), "nothing published, no staging folder"
    assert not [t for t in threading.enumerate() if t.name.startswith("cursus-scorm")], "the zip threads ended"
