"""Rebuilds reuse what did not change: rendered modules (cache under the output folder), compiled templates."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.generate import generate
from conftest import ROOT, run
from cursus import loader, site
from cursus.build import CACHE, build
from cursus.builders import BuildOptions
from cursus.diagnostics import CursusError


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """Record the id of every module whose body is actually rendered (not taken from the cache)."""
    seen: list[str] = []
    original = loader._render_body

    def counting(root, source, renderer, diagnostics):
        seen.append(source.meta["id"])
        return original(root, source, renderer, diagnostics)

    monkeypatch.setattr(loader, "_render_body", counting)
    return seen


def test_a_rebuild_renders_only_the_module_that_changed(mini: Path, tmp_path: Path, renders: list[str]):
    out = tmp_path / "out"
    build(mini, out, ["web"], BuildOptions())
    untouched = (out / "web" / "twee.html").read_bytes()
    assert sorted(renders) == ["een", "twee"]

    renders.clear()
    build(mini, out, ["web"], BuildOptions())
    assert renders == [], "nothing changed, nothing is rendered again"

    source = mini / "01-een.md"
    source.write_text(source.read_text("utf-8").replace("Dit is de inleiding", "Dit is de NIEUWE inleiding"), "utf-8")
    build(mini, out, ["web"], BuildOptions())
    assert renders == ["een"]
    assert "Dit is de NIEUWE inleiding" in (out / "web" / "een.html").read_text("utf-8")
    assert (out / "web" / "twee.html").read_bytes() == untouched
    assert not list((out / "web").rglob("*.pickle")), "the cache is never published"


def test_a_cached_module_whose_image_was_deleted_is_reported(mini: Path, tmp_path: Path):
    out = tmp_path / "out"
    build(mini, out, ["web"], BuildOptions())
    (mini / "02-twee" / "media" / "huis.png").unlink()

    result = run("build", mini, "--out", out, "--format", "web")

    assert result.exit_code == 1
    assert "huis.png' does not exist" in result.output


def test_a_renamed_module_changes_links_to_it(mini: Path, tmp_path: Path):
    out = tmp_path / "out"
    build(mini, out, ["web"], BuildOptions())
    source = mini / "02-twee" / "index.md"
    source.write_text(source.read_text("utf-8").replace("id: twee", "id: tweede"), "utf-8")
    course_yml = mini / "course.yml"
    course_yml.write_text(course_yml.read_text("utf-8").replace("[een, twee]", "[een, tweede]"), "utf-8")

    build(mini, out, ["web"], BuildOptions())

    assert 'href="tweede.html#verdieping"' in (out / "web" / "een.html").read_text("utf-8")


def test_a_damaged_cache_is_ignored(mini: Path, tmp_path: Path, renders: list[str]):
    out = tmp_path / "out"
    build(mini, out, ["web"], BuildOptions())
    for path in (out / CACHE).iterdir():
        path.write_bytes(b"not a pickle")
    renders.clear()

    build(mini, out, ["web"], BuildOptions())

    assert sorted(renders) == ["een", "twee"]
    assert (out / "web" / "een.html").is_file()


def test_a_rebuild_in_the_same_process_keeps_the_cache_in_memory(mini: Path, tmp_path: Path, renders: list[str], monkeypatch):
    """``cursus serve`` rebuilds in one process: unchanged cache files are not read and unpickled again."""
    from cursus import cache

    out = tmp_path / "out"
    build(mini, out, ["web", "scorm12"], BuildOptions())
    loads = []
    monkeypatch.setattr(cache.pickle, "loads", lambda data: loads.append(data) or pytest.fail("read again"))
    renders.clear()

    build(mini, out, ["web", "scorm12"], BuildOptions())

    assert renders == [] and loads == []


def test_a_failed_build_leaves_the_cache_as_it_was(mini: Path, tmp_path: Path):
    out = tmp_path / "out"
    (mini / "01-een.md").write_text("---\nid: een\n---\n", "utf-8")
    with pytest.raises(CursusError):
        build(mini, out, ["web"], BuildOptions())
    assert not (out / CACHE).exists()


def test_a_changed_course_template_is_used_by_the_next_build_in_the_same_process(mini: Path, tmp_path: Path):
    out = tmp_path / "out"
    build(mini, out, ["web"], BuildOptions())
    own = mini / "templates" / "partials" / "term.html"
    own.parent.mkdir(parents=True)
    own.write_text("<!-- EIGEN-SJABLOON -->\n" + (ROOT / "templates" / "partials" / "term.html").read_text("utf-8"), "utf-8")

    build(mini, out, ["web"], BuildOptions())

    assert "EIGEN-SJABLOON" in (out / "web" / "een.html").read_text("utf-8")


@pytest.fixture
def pages(monkeypatch) -> list[tuple[str, str]]:
    """Record (module id, target) of every module page actually rendered (not taken from the cache)."""
    seen: list[tuple[str, str]] = []
    original = site.render_module_page

    def counting(env, view, target, **context):
        seen.append((view.module.id, target))
        return original(env, view, target, **context)

    monkeypatch.setattr(site, "render_module_page", counting)
    return seen


def _files(out: Path) -> dict[str, bytes]:
    """Return every published file of the web and SCORM outputs with its bytes."""
    folders = [out / name for name in ("web", "scorm12", "scorm2004")]
    return {str(p.relative_to(out)): p.read_bytes() for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_cached_rebuild_is_byte_for_byte_a_clean_build(mini: Path, tmp_path: Path, pages: list):
    formats = ["web", "scorm12", "scorm2004"]
    cached = tmp_path / "cached"
    build(mini, cached, formats, BuildOptions())
    assert sorted(pages) == [("een", "scorm"), ("een", "web"), ("twee", "scorm"), ("twee", "web")], \
        "a first build renders every page once for the website and once for both SCORM packages"
    source = mini / "01-een.md"
    source.write_text(source.read_text("utf-8").replace("Dit is de inleiding", "Dit is de NIEUWE inleiding"), "utf-8")

    pages.clear()
    build(mini, cached, formats, BuildOptions())
    assert sorted(pages) == [("een", "scorm"), ("een", "web")], "only the changed page is rendered again"

    build(mini, tmp_path / "clean", formats, BuildOptions())
    rebuilt, clean = _files(cached), _files(tmp_path / "clean")
    assert sorted(rebuilt) == sorted(clean) and len(clean) > 10
    assert [name for name in clean if rebuilt[name] != clean[name]] == []
    assert "Dit is de NIEUWE inleiding" in (cached / "web" / "een.html").read_text("utf-8")


def test_a_new_title_reaches_the_neighbours_pages_from_the_cache(mini: Path, tmp_path: Path, pages: list):
    out = tmp_path / "out"
    build(mini, out, ["web"], BuildOptions())
    source = mini / "01-een.md"
    text = source.read_text("utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    source.write_text(text.replace(title, "title: Een geheel nieuwe titel", 1), "utf-8")

    pages.clear()
    build(mini, out, ["web"], BuildOptions())

    assert sorted(pages) == [("een", "web"), ("twee", "web")]
    assert "Een geheel nieuwe titel" in (out / "web" / "twee.html").read_text("utf-8")


def test_the_benchmark_course_is_valid_and_uses_every_block_type(tmp_path: Path):
    course = generate(6, tmp_path / "bench")
    again = generate(6, tmp_path / "again")

    result = run("check", course, "--strict")

    assert result.exit_code == 0, result.output
    assert "6 modules" in result.output
    files = sorted(p.relative_to(course) for p in course.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((course / f).read_bytes() == (again / f).read_bytes() for f in files), "seeded: same bytes every time"
    text = "\n".join(p.read_text("utf-8") for p in course.rglob("*.md"))
    for kind in ("reflection", "exercise", "materials", "steps", "debrief", "check", "case", "example", "term", "sources", "trainer"):
        assert f"::: {kind}" in text, kind
    assert len(list(course.rglob("*.png"))) == 2


def test_the_page_cache_tells_a_trainer_view_from_the_learners_view(mini: Path):
    """Pages are found by what a module shows: trainer notes taken out make another page, and the
    same sources loaded again make the same one."""
    from cursus.build import check
    from cursus.cache import RenderCache
    from cursus.model import for_learners, has_trainer_blocks

    course = check(mini).course
    trainer = next(module for module in course.modules if has_trainer_blocks(module))
    learner = next(module for module in for_learners(course).modules if module.id == trainer.id)
    cache = site.PageCache(RenderCache(None), course)
    assert trainer.rendered_from and learner.rendered_from == trainer.rendered_from
    assert cache.fingerprint(trainer) != cache.fingerprint(learner)

    again = next(module for module in check(mini).course.modules if module.id == trainer.id)
    assert site.PageCache(RenderCache(None), course).fingerprint(again) == cache.fingerprint(trainer)


def test_building_only_the_website_keeps_the_scorm_pages_cached(mini: Path, tmp_path: Path, pages: list):
    """``cursus serve`` builds the website alone; the next full build still finds the SCORM pages."""
    out = tmp_path / "out"
    build(mini, out, ["web", "scorm12", "scorm2004"], BuildOptions())
    build(mini, out, ["web"], BuildOptions())

    pages.clear()
    build(mini, out, ["web", "scorm12", "scorm2004"], BuildOptions())
    assert pages == [], "every page came from the cache"


def test_compiled_templates_are_kept_for_the_next_process_and_never_served_stale(mini: Path, tmp_path: Path):
    """Templates compiled by one ``cursus build`` are loaded by the next from the user's cache folder;
    a template changed in between is compiled again."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "user-cache")}

    def build_web() -> str:
        command = [sys.executable, "-m", "cursus", "build", str(mini), "--out", str(tmp_path / "out"), "--format", "web"]
        subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
        return (tmp_path / "out" / "web" / "een.html").read_text("utf-8")

    assert "EIGEN-SJABLOON" not in build_web()
    kept = list((tmp_path / "user-cache" / "cursus").glob("templates-jinja2-*/__jinja2_*.cache"))
    assert len(kept) > 5, "the compiled templates are kept"

    own = mini / "templates" / "partials" / "term.html"
    own.parent.mkdir(parents=True)
    own.write_text("<!-- EIGEN-SJABLOON -->\n" + (ROOT / "templates" / "partials" / "term.html").read_text("utf-8"), "utf-8")
    assert "EIGEN-SJABLOON" in build_web()
    own.write_text((ROOT / "templates" / "partials" / "term.html").read_text("utf-8").replace("<", "<!-- OPNIEUW -->\n<", 1), "utf-8")
    page = build_web()
    assert "OPNIEUW" in page and "EIGEN-SJABLOON" not in page, "a changed template is never taken from the cache"


def test_pages_rendered_in_a_forked_process_are_cached_for_the_next_build(mini: Path, tmp_path: Path, pages: list, renders: list):
    """With two jobs the website is built in a forked process, which saves its own page cache."""
    import subprocess, sys

    out = tmp_path / "out"
    formats = ["--format", "web", "--format", "scorm12", "--format", "scorm2004"]
    two = subprocess.run([sys.executable, "-m", "cursus", "build", str(mini), *formats, "--jobs", "2", "--out", str(out)],
                         capture_output=True, text=True, cwd=ROOT)
    assert two.returncode == 0 and "web ... " in two.stderr and "(alongside)" in two.stderr, two.stderr

    build(mini, out, ["web", "scorm12", "scorm2004"], BuildOptions())
    assert pages == [] and renders == [], "every module and page came from the caches"


def _published(out: Path) -> dict[str, bytes]:
    """Return every page of the website and of both SCORM zips, with its bytes."""
    import zipfile

    files = {str(p.relative_to(out)): p.read_bytes() for p in sorted((out / "web").rglob("*.html"))}
    for archive in sorted(out.glob("scorm*/*.zip")):
        with zipfile.ZipFile(archive) as opened:
            files |= {f"{archive.parent.name}/{name}": opened.read(name) for name in opened.namelist() if name.endswith(".html")}
    return files


def test_each_body_is_rendered_once_for_the_website_and_both_packages(mini: Path, tmp_path: Path, monkeypatch):
    """While loading, each module's body is rendered as a web page shows it, once, and the website and
    both SCORM packages take it from there (``Module.learner_html``). Marked here, the mark is on every
    module page of all three, in a SCO whose links to other SCOs were unwrapped too; and the pages are
    the very bytes of pages that render each body themselves (a course with partials of its own)."""
    formats = ["web", "scorm12", "scorm2004"]
    build(mini, tmp_path / "shared", formats, BuildOptions())
    own = tmp_path / "own"
    shutil.copytree(mini, own)
    shutil.copytree(ROOT / "templates" / "partials", own / "templates" / "partials")
    build(own, tmp_path / "own-out", formats, BuildOptions())
    shared, alone = _published(tmp_path / "shared"), _published(tmp_path / "own-out")
    assert shared == alone and len(shared) == 10
    # A link from module 'een' to 'twee' is plain text in the SCO of 'een', a link on the website.
    assert 'href="twee.html' in shared["web/een.html"].decode()
    assert 'href="twee.html' not in shared["scorm12/een.html"].decode()

    screen_renderer = loader.screen_renderer
    monkeypatch.setattr(loader, "screen_renderer", lambda *args: (lambda render: lambda nodes: render(nodes) + "<!-- GEDEELD -->")(screen_renderer(*args)))
    build(mini, tmp_path / "marked", formats, BuildOptions())
    marked = {name: data.decode() for name, data in _published(tmp_path / "marked").items() if name.endswith(("een.html", "twee.html"))}
    assert len(marked) == 6 and all(page.count("<!-- GEDEELD -->") == 1 for page in marked.values()), marked.keys()


def test_a_body_rendered_while_loading_follows_a_reworded_ui_string(mini: Path, tmp_path: Path):
    """The cache of rendered bodies holds each body as a page shows it, so it is keyed by the
    templates and UI strings too: a reworded label reaches the next build's pages."""
    out = tmp_path / "out"
    build(mini, out, ["web"], BuildOptions())
    assert "Kennischeck" in (out / "web" / "een.html").read_text("utf-8")
    strings = mini / "templates" / "i18n" / "nl.yml"
    strings.parent.mkdir(parents=True)
    strings.write_text("check: Test je kennis\n", "utf-8")
    build(mini, out, ["web"], BuildOptions())
    page = (out / "web" / "een.html").read_text("utf-8")
    assert "Test je kennis" in page and "Kennischeck" not in page


def test_the_search_index_of_a_forked_website_is_cached_for_the_next_build(mini: Path, tmp_path: Path, monkeypatch):
    """With two jobs the website's process makes the search index itself, whatever the other process
    is free to make, since it saves the page cache that keeps each module's search records: the
    next build computes none of them again. (The website is slowed down here, so the other process
    is free first.)"""
    import time

    from cursus.builders.web import WebBuilder

    formats = ["web", "scorm12", "scorm2004"]
    website = WebBuilder.build
    monkeypatch.setattr(WebBuilder, "build", lambda self, *args: time.sleep(0.5) or website(self, *args))
    out = tmp_path / "out"
    build(mini, out, formats, BuildOptions(jobs=2))
    assert "search-index.js" in {p.name for p in (out / "web").iterdir()}

    monkeypatch.setattr(WebBuilder, "build", website)
    computed = []
    entries = site._module_entries
    monkeypatch.setattr(site, "_module_entries", lambda module: computed.append(module.id) or entries(module))
    build(mini, out, formats, BuildOptions())
    assert computed == []
