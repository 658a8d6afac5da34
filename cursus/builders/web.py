"""The ``web`` format: a static website learners study from, offline and from file:// too."""

from __future__ import annotations

from pathlib import Path

from cursus import site
from cursus.builders import Builder
from cursus.model import LEARNER, Course
from cursus.output import OutputFolder
from cursus.templating import environment, static_bytes

ASSETS = ("cursus.css", "cursus.js")


class WebBuilder(Builder):
    """Write one HTML page per module plus start, glossary, sources and reflections pages."""

    name = "web"
    folder = "web"
    audience = LEARNER
    start = 1

    def build(self, course: Course, out: OutputFolder) -> None:
        """Write every page, the search index and the assets (the media are ``copies``)."""
        env = environment(course)
        extra = {"live_reload": self.options.extra.get("live_reload", "")}
        pages = site.PageCache(self.pages, course)
        for view in site.module_pages(course):
            out.write_text(view.filename, pages.render(env, view, "web", **extra))
        for kind, context in site.site_pages(course).items():
            out.write_text(f"{kind}.html", site.render_page(env, f"web/{kind}.html", kind, **context, **extra))
        out.write_text("search-index.js", env.get_template("web/search-index.js").render(entries=pages.search_index(course)))
        for name in ASSETS:
            out.write_bytes(name, static_bytes(course, name))

    def copies(self, course: Course) -> list[tuple[Path, str]]:
        """Return the media: images and files the modules use."""
        return [(media.source, media.target) for media in site.media_files(course)]
