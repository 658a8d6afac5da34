"""SCORM 1.2 and 2004 packages: one SCO per module (or one for the course), a manifest, a zip."""

from __future__ import annotations

import dataclasses
import functools
import html as htmllib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import jinja2

from cursus import site
from cursus.builders import Builder
from cursus.manifest import Item, Manifest, Metadata, Resource, identifier, iso_duration, reproducible_zip, zip_timestamp
from cursus.model import LEARNER, Block, Course, Html, Module, Option
from cursus.output import OutputFolder
from cursus.templating import environment, static_bytes, ui_strings, search_path

ASSETS = ("cursus.css", "cursus.js", "scorm.js")
"""The files every SCO shares, at the root of the package."""
WEB_PAGES = ("index", "glossary", "sources", "reflections")
"""The website's other pages, which a single-SCO package shows inside its launch page."""
LAUNCH = "launch.html"
"""The launch page of a single-SCO package: it owns the LMS session and frames the course pages."""
ANSWER_MIN = 600
"""Characters of each reflection answer that suspend_data always keeps; longer answers are shortened
there and kept in full in the learner's browser (documented in docs/lms.md)."""
NAME_MAX = 100
"""Characters of the learner's name kept in suspend_data (the runtime cuts it there)."""
NOTICE = "scorm_answers_notice"
"""The UI string that tells learners where a package keeps their answers."""
RUNTIME_STRINGS = (
    "scorm_no_lms", "scorm_save_failed", "scorm_saved_again", "scorm_resume", "scorm_resume_button",
    "scorm_resume_dismiss", "scorm_truncated", "scorm_download", "scorm_answers_file", "scorm_new_window",
)
"""The UI strings ``scorm.js`` shows, handed to it in every page's configuration."""
VERSION_SETTINGS = ("api", "limit")
"""The only settings in which a SCORM 1.2 page differs from the same page of the SCORM 2004 package."""
CONFIG_START = '<script type="application/json" id="cursus-scorm">'
"""Where a page's runtime configuration starts (``scorm/scripts.html``)."""


@dataclass(frozen=True)
class Sco:
    """One SCO of a package: the modules it shows and the page an LMS launches."""

    id: str
    title: str
    modules: tuple[Module, ...]
    launch: str
    source: Path
    """The file diagnostics about this SCO point at."""


@dataclass(frozen=True)
class Group:
    """A non-launchable item of the organization (a part of the course) and its SCOs."""

    id: str
    title: str
    scos: tuple[Sco, ...]


@dataclass(frozen=True)
class Package:
    """What one zip holds: its file name, its SCOs grouped as the organization shows them."""

    filename: str
    key: tuple[str, ...]
    """The stable ids the manifest identifier derives from (course id, plus module id for --module)."""
    groups: tuple[Group, ...]
    """Parts with their SCOs; a group with an empty id puts its SCOs directly under the organization."""
    single: bool = False

    @property
    def scos(self) -> list[Sco]:
        """Every SCO in organization order."""
        return [sco for group in self.groups for sco in group.scos]


class ScormBuilder(Builder):
    """Write one SCORM package; the subclasses differ only in their class attributes."""

    audience = LEARNER
    family = "scorm"
    screen_bodies = True
    api: ClassVar[str] = ""
    """The runtime API version ``scorm.js`` talks to: ``1.2`` or ``2004``."""
    manifest_template: ClassVar[str] = ""
    schema_version: ClassVar[str] = ""
    suspend_limit: ClassVar[int] = 0
    """The characters of cmi.suspend_data every LMS must accept."""
    start = 0
    """Before the website: the zips are made while it renders."""
    _zipper: ThreadPoolExecutor | None = None
    zipping: tuple | None = None
    """Where the zip goes, its name and the zip being made (a future), from ``build`` until ``finish``."""

    def build(self, course: Course, out: OutputFolder) -> None:
        """Plan the package, render its pages and manifest, check its budget and start zipping it."""
        package = plan(course, self.options.module, self.options.single_sco)
        env = environment(course)
        strings = _runtime_strings(course)
        configs = {sco.id: self.runtime_config(course, sco, strings) for sco in package.scos}
        files = self._pages(env, course, package, configs)
        files.update(_assets(course))
        files.update(_media(package))
        manifest = self._manifest(course, package, sorted(files))
        files["imsmanifest.xml"] = env.get_template(self.manifest_template).render(manifest=manifest).encode("utf-8")
        self._check_budget(package, configs)
        # zlib lets go of the interpreter while it compresses, so the zip is made while the next
        # builder renders; ``finish`` writes it.
        self._zipper = ThreadPoolExecutor(1, thread_name_prefix=f"cursus-{self.name}-zip")
        self.zipping = (out, package.filename, self._zipper.submit(reproducible_zip, files, zip_timestamp(course.date)))

    def finish(self) -> None:
        """Write the zip that ``build`` started."""
        if self.zipping is not None:
            out, filename, zipped = self.zipping
            self.zipping = None
            out.write_bytes(filename, zipped.result())
        self.close()

    def close(self) -> None:
        """End the zip thread (a zip made for a build that failed is dropped)."""
        if self._zipper is not None:
            self._zipper.shutdown(wait=True, cancel_futures=True)
            self._zipper = None

    def _pages(self, env: jinja2.Environment, course: Course, package: Package, configs: dict[str, dict]) -> dict[str, bytes]:
        """Render the pages of every SCO (and, for a single SCO, the launch page and the site's pages)."""
        files: dict[str, bytes] = {}
        views = {view.module.id: view for view in site.module_pages(course)}
        cache = site.PageCache(self.pages, course)
        for sco in package.scos:
            config = configs[sco.id]
            # Rendered with placeholders, a page is the same for both SCORM versions: the second
            # package takes it from the cache and only fills in its own values.
            shared = {**config, **{key: f"@cursus-{key}@" for key in VERSION_SETTINGS}}
            # What _local_view unlinks follows from the SCO's modules and `single`, both in the key.
            local = functools.partial(_local_view, pages=_sco_pages(sco, package.single))
            for view in (views[module.id] for module in sco.modules):
                html = cache.render(env, view, "scorm", local, scorm=shared, single=package.single, answers_notice=NOTICE)
                files[view.filename] = _fill_in(html, config).encode("utf-8")
            if package.single:
                files.update(_site_pages(env, course, config))
        return files

    def runtime_config(self, course: Course, sco: Sco, strings: dict[str, str]) -> dict:
        """Return what ``scorm.js`` needs to know about this SCO, embedded as JSON in its pages
        (*strings*: the UI strings it shows)."""
        return {
            "api": self.api,
            "course": course.id,
            "sco": sco.id,
            "start": "index.html" if sco.launch == LAUNCH else sco.launch,
            "modules": [m.id for m in sco.modules],
            "checks": [[b.id, len(b.options)] for m in sco.modules for b in m.blocks("check")],
            "reflections": [b.id for m in sco.modules for b in m.blocks("reflection")],
            "rule": course.completion_rule,
            "mastery": course.mastery_score,
            "limit": self.suspend_limit,
            "nameMax": NAME_MAX,
            "strings": strings,
        }

    def _manifest(self, course: Course, package: Package, files: list[str]) -> Manifest:
        """Return the manifest records: items by part, one resource per SCO, one shared asset."""
        common = identifier("RES", *package.key, "common")
        scored = "checks" in course.completion_rule
        resources = [_sco_resource(package, sco, common, files) for sco in package.scos]
        resources.append(Resource(common, "asset", tuple(sorted(set(files) & set(ASSETS)))))
        items = tuple(_group_item(package, group, course.mastery_score if scored else None) for group in package.groups)
        return Manifest(
            identifier=identifier("MANIFEST", *package.key),
            version=course.version,
            schema_version=self.schema_version,
            organization=identifier("ORG", *package.key),
            title=course.title if len(package.key) == 1 else package.scos[0].title,
            items=_flatten_ungrouped(items),
            resources=tuple(resources),
            metadata=_metadata(course, package),
        )

    def _check_budget(self, package: Package, configs: dict[str, dict]) -> None:
        """Warn when a SCO's worst case leaves a reflection fewer than ANSWER_MIN characters of suspend_data."""
        for sco in package.scos:
            share = answer_share(configs[sco.id])
            if share is not None and share < ANSWER_MIN:
                self.diagnostics.warning(
                    sco.source, 0, self.name,
                    f"SCO '{sco.id}' has {len(_reflections(sco))} reflections: in the worst case its "
                    f"{self.suspend_limit:,} characters of suspend_data keep only {max(share, 0)} characters "
                    f"of each answer (fewer than {ANSWER_MIN}); longer answers are kept in full only in the "
                    "learner's browser and offered for download",
                )


class Scorm12Builder(ScormBuilder):
    """SCORM 1.2: what nearly every LMS imports (Moodle, Blackboard, itslearning)."""

    name = "scorm12"
    folder = "scorm12"
    api = "1.2"
    manifest_template = "scorm/imsmanifest-12.xml"
    schema_version = "1.2"
    suspend_limit = 4096


class Scorm2004Builder(ScormBuilder):
    """SCORM 2004 4th Edition: for LMSs that prefer it (Canvas, Brightspace, Moodle)."""

    name = "scorm2004"
    folder = "scorm2004"
    api = "2004"
    manifest_template = "scorm/imsmanifest-2004.xml"
    schema_version = "2004 4th Edition"
    suspend_limit = 64000


def plan(course: Course, module_id: str | None, single: bool) -> Package:
    """Return the package to build: per module SCOs by part, one module, or the course as one SCO."""
    name = f"{course.id}-{course.version}.zip"
    course_yml = course.root / "course.yml"
    if module_id:
        module = course.module(module_id)
        sco = Sco(module.id, module.title, (module,), module.filename, module.path)
        return Package(f"{course.id}-{module.id}-{course.version}.zip", (course.id, module.id), (Group("", "", (sco,)),))
    if single:
        sco = Sco(course.id, course.title, tuple(course.modules), LAUNCH, course_yml)
        return Package(name, (course.id,), (Group("", "", (sco,)),), single=True)
    groups = tuple(
        Group(part.id, part.title, tuple(Sco(m.id, m.title, (m,), m.filename, m.path) for m in part.modules))
        for part in course.parts if part.modules
    )
    return Package(name, (course.id,), groups)


def _runtime_strings(course: Course) -> dict[str, str]:
    """Return the UI strings ``scorm.js`` shows."""
    strings = ui_strings(course.language, tuple(search_path(course)))
    return {key: strings[key] for key in RUNTIME_STRINGS}


def _fill_in(html: str, config: dict) -> str:
    """Put a package's own VERSION_SETTINGS into a page's runtime configuration, in place of the placeholders."""
    head, start, rest = html.partition(CONFIG_START)
    script, end, tail = rest.partition("</script>")
    for key in VERSION_SETTINGS:
        script = script.replace(json.dumps(f"@cursus-{key}@"), json.dumps(config[key]))
    return head + start + script + end + tail


def answer_share(config: dict) -> int | None:
    """Return the characters of suspend_data each reflection answer gets in the worst case (None: no reflections).

    Mirrors ``encode`` in ``scorm.js``: ``[1, seen, loc, checks, answers, name, time]`` as compact JSON.
    """
    answers = len(config["reflections"])
    if not answers:
        return None
    checks = ".".join("abcdefghijklmnopqrstuvwxyz"[:count] + "-" for _, count in config["checks"])
    worst = [1, "1" * len(config["modules"]), len(config["modules"]) - 1, checks, [""] * answers,
             "\\" * config["nameMax"], "z" * 9]
    fixed = len(json.dumps(worst, ensure_ascii=False, separators=(",", ":")))
    return (config["limit"] - fixed) // answers


def _reflections(sco: Sco) -> list[Block]:
    """Return the reflection questions of a SCO."""
    return [block for module in sco.modules for block in module.blocks("reflection")]


def _sco_pages(sco: Sco, single: bool) -> set[str]:
    """Return the pages a SCO contains: links to any other page of the course are turned into plain text."""
    return {m.filename for m in sco.modules} | ({f"{name}.html" for name in WEB_PAGES} if single else set())


def _local_view(view: site.ModulePage, pages: set[str]) -> site.ModulePage:
    """Return a module page of a SCO, with links to pages outside the SCO turned into plain text."""
    return dataclasses.replace(view, module=_local_links(view.module, pages))


def _site_pages(env: jinja2.Environment, course: Course, config: dict) -> dict[str, bytes]:
    """Render the single-SCO launch page and the website's start, glossary, sources and reflections pages."""
    contexts = {
        "index": {"parts": site.part_entries(course)},
        "glossary": {"terms": site.glossary(course)},
        "sources": {"groups": site.source_groups(course)},
        "reflections": {"groups": site.reflection_groups(course)},
    }
    files = {
        f"{kind}.html": site.render_page(env, "scorm/page.html", kind, layout=f"web/{kind}.html", scorm=config, answers_notice=NOTICE, **context).encode("utf-8")
        for kind, context in contexts.items()
    }
    files[LAUNCH] = env.get_template("scorm/launch.html").render(scorm=config).encode("utf-8")
    files["search-index.js"] = env.get_template("web/search-index.js").render(entries=site.search_index(course)).encode("utf-8")
    return files


def _assets(course: Course) -> dict[str, bytes]:
    """Return the shared scripts and styles that exist in the template search path."""
    found = {}
    for name in ASSETS:
        try:
            found[name] = static_bytes(course, name)
        except FileNotFoundError:
            continue
    return found


def _media(package: Package) -> dict[str, bytes]:
    """Return every media file the package's modules use."""
    media = {m.target: m.source for sco in package.scos for module in sco.modules for m in module.media}
    return {target: Path(source).read_bytes() for target, source in sorted(media.items())}


def _sco_resource(package: Package, sco: Sco, common: str, files: list[str]) -> Resource:
    """Return the resource of one SCO: its pages and media; a single SCO owns every page file."""
    if package.single:
        own = [name for name in files if name not in ASSETS and name != "imsmanifest.xml"]
    else:
        own = [m.filename for m in sco.modules] + [media.target for m in sco.modules for media in m.media]
    return Resource(identifier("RES", *package.key, sco.id), "sco", tuple(sorted(set(own))), sco.launch, (common,))


def _group_item(package: Package, group: Group, mastery: int | None) -> Item:
    """Return a part as a non-launchable item holding its SCOs' items."""
    children = tuple(
        Item(identifier("ITEM", *package.key, sco.id), sco.title, identifier("RES", *package.key, sco.id),
             mastery_score=mastery if any(m.blocks("check") for m in sco.modules) else None)
        for sco in group.scos
    )
    return Item(identifier("PART", package.key[0], group.id) if group.id else "", group.title, children=children)


def _flatten_ungrouped(items: tuple[Item, ...]) -> tuple[Item, ...]:
    """Put the SCOs of an unnamed group directly under the organization."""
    flat: list[Item] = []
    for item in items:
        flat.extend(item.children if not item.identifier else (item,))
    return tuple(flat)


def _metadata(course: Course, package: Package) -> Metadata:
    """Return the LOM metadata of a package."""
    modules = [m for sco in package.scos for m in sco.modules]
    single_module = len(package.key) > 1
    return Metadata(
        title=f"{course.title}: {modules[0].title}" if single_module else course.title,
        description=(modules[0].summary or course.description) if single_module else course.description,
        language=course.language,
        keywords=course.keywords,
        version=course.version,
        learning_time=iso_duration(sum(m.duration for m in modules)),
    )


def _local_links(module: Module, pages: set[str]) -> Module:
    """Return the module with links to pages outside *pages* unwrapped (a SCO never opens another SCO)."""
    body = tuple(_local_node(node, pages) for node in module.body)
    if _same(body, module.body):
        return module
    # The body as rendered while loading holds the same links, unwrapped the same way; unless one
    # is written in HTML the expression does not recognise: the page then renders the body itself.
    html = _unlink_regular(module.learner_html, pages) if module.learner_html else None
    return dataclasses.replace(module, body=body, learner_html=html or "")


def _local_node(node, pages: set[str]):
    """Unwrap outside links in one Html node or block, at every depth; a node without any stays as it is."""
    if isinstance(node, Html):
        html = _unlink(node.html, pages)
        return node if html is node.html else dataclasses.replace(node, html=html)
    body = tuple(_local_node(child, pages) for child in node.body)
    options = tuple(_local_option(option, pages) for option in node.options)
    if _same(body, node.body) and _same(options, node.options):
        return node
    return dataclasses.replace(node, body=body, options=options)


def _local_option(option: Option, pages: set[str]) -> Option:
    html, feedback = _unlink(option.html, pages), _unlink(option.feedback_html, pages)
    if html is option.html and feedback is option.feedback_html:
        return option
    return Option(html, option.correct, feedback, option.line)


def _same(new: tuple, old: tuple) -> bool:
    """Tell whether every item of *new* is the very item of *old*."""
    return all(a is b for a, b in zip(new, old))


ANCHOR = re.compile(r"""<a\s(?:[^>"']|"[^"]*"|'[^']*')*?\bhref="([^"]*)"(?:[^>"']|"[^"]*"|'[^']*')*>(.*?)</a>""", re.S)
"""A link as Python-Markdown writes it: ``<a ...href="..."...>text</a>``; links cannot nest, so the
first ``</a>`` closes it."""
OPENING = re.compile(r"<a[\s>]", re.I)
"""The start of any ``<a>`` element, however it is written."""


def _unlink(html: str, pages: set[str]) -> str:
    """Replace ``<a href="other.html#x">text</a>`` by its text when the page is not in *pages*.

    Links that Markdown wrote are found with a regular expression, in a fraction of the time an HTML
    parser takes; an ``<a`` it does not recognise (raw HTML written otherwise) goes to lxml."""
    if ".html" not in html:
        return html
    unlinked = _unlink_regular(html, pages)
    return _unlink_parsed(html, pages) if unlinked is None else unlinked


def _unlink_regular(html: str, pages: set[str]) -> str | None:
    """``_unlink`` for HTML whose every ``<a`` is a link as Python-Markdown writes it; None for other HTML."""
    if len(OPENING.findall(html)) != len(ANCHOR.findall(html)):
        return None
    return ANCHOR.sub(lambda link: link.group(2) if _is_outside(htmllib.unescape(link.group(1)), pages) else link.group(0), html)


def _unlink_parsed(html: str, pages: set[str]) -> str:
    """``_unlink`` for any HTML, with an HTML parser."""
    import lxml.html

    fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    outside = [a for a in fragment.iter("a") if _is_outside(a.get("href", ""), pages)]
    if not outside:
        return html
    for anchor in outside:
        anchor.drop_tag()
    inner = [fragment.text or ""] + [lxml.html.tostring(child, encoding="unicode") for child in fragment]
    return "".join(inner)


def _is_outside(href: str, pages: set[str]) -> bool:
    """Tell whether a link points to a page of the course that this SCO does not contain."""
    parts = urlsplit(href)
    return not parts.scheme and not parts.netloc and parts.path.endswith(".html") and parts.path not in pages
