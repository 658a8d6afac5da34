"""The ``web`` format: a static website learners study from, offline and from file:// too."""

from __future__ import annotations

import functools
from typing import Callable

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
    screen_bodies = True
    cached_extras = ("search-index.js",)
    """The search index keeps each module's records in the page cache."""

    def build(self, course: Course, out: OutputFolder) -> None:
        """Write every module page and the assets (the other pages and the media are ``extras``)."""
        env = environment(course)
        pages = site.PageCache(self.pages, course)
        for view in site.module_pages(course):
            out.write_text(view.filename, pages.render(env, view, "web", **self._extra()))
        for name in ASSETS:
            out.write_bytes(name, static_bytes(course, name))

    def extras(self, course: Course) -> list[tuple[str, Callable[[], bytes]]]:
        """Return the start, glossary, sources and reflections pages, the search index and the media."""
        env = environment(course)

        def page(kind: str) -> bytes:
            context = site.SITE_PAGES[kind](course)
            return site.render_page(env, f"web/{kind}.html", kind, **context, **self._extra()).encode("utf-8")

        def index() -> bytes:
            entries = site.PageCache(self.pages, course).search_index(course)
            return env.get_template("web/search-index.js").render(entries=entries).encode("utf-8")

        made = [(f"{kind}.html", functools.partial(page, kind)) for kind in site.SITE_PAGES]
        made.append(("search-index.js", index))
        return made + [(media.target, media.source.read_bytes) for media in site.media_files(course)]

    def _extra(self) -> dict:
        return {"live_reload": self.options.extra.get("live_reload", "")}
