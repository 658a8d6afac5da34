"""Load a course folder into the model: read, validate and render every file once."""

from __future__ import annotations

import dataclasses
import datetime
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from cursus.blocks import parse_body
from cursus.cache import RenderCache
from cursus.diagnostics import Diagnostics
from cursus.model import Course, Goal, Module, Part, Session, without_trainer
from cursus.parallel import Partner, fork_map
from cursus.render import LinkRef, ModuleContext, Renderer
from cursus.schema import COURSE, MODULE, validate
from cursus.source import Lines, load_yaml, read_text, split_front_matter
from cursus.templating import screen_renderer, templates_fingerprint


PARALLEL_MIN = 24
"""Modules to render below which worker processes cost more than they save."""


@dataclass
class Loaded:
    """A loaded course plus what only the checks need: the internal links to verify."""

    course: Course | None
    links: list[LinkRef]
    course_lines: Lines | None
    listed: dict[str, list[int]]
    """Module names as course.yml lists them, with the lines where they appear."""
    real_paths: dict[Path, Path] = dataclasses.field(default_factory=dict)
    """Each module's file, symlinks resolved (as internal links name their targets)."""


def load_course(root: Path, diagnostics: Diagnostics, cache: RenderCache | None = None, jobs: int = 1,
                partner: tuple[Partner, Callable[[Course], object]] | None = None, screens: bool = False) -> Loaded:
    """Load ``course.yml`` and every module it lists; report problems instead of raising.

    With a *cache*, a module whose body, place and links are unchanged is not rendered again. With
    *jobs* > 1, a course with many modules to render renders them in that many processes. With a
    *partner* (a process not yet forked, and what it does with the course once loaded), the partner
    shares the rendering of the modules and goes on with the course assembled from all of them.
    With *screens*, each body is also rendered as a web page shows it, in the same processes
    (``Module.learner_html``).
    """
    root = Path(root)
    config_path = root / "course.yml"
    if not root.is_dir():
        diagnostics.error(root, 0, "", "the course folder does not exist")
        return Loaded(None, [], None, {})
    if not config_path.is_file():
        diagnostics.error(config_path, 0, "", "course.yml is missing: every course folder needs one (see 'cursus new course')")
        return Loaded(None, [], None, {})
    parsed = _read_yaml_file(config_path, diagnostics)
    if parsed is None:
        return Loaded(None, [], None, {})
    config, lines = parsed
    if not isinstance(config, dict):
        diagnostics.error(config_path, 1, "", "course.yml must be a mapping of keys and values")
        return Loaded(None, [], lines, {})
    if not validate(config, COURSE, lines, config_path, diagnostics):
        return Loaded(None, [], lines, {})
    listed = _listed_modules(config, lines)
    files = _module_files(root, config, lines, config_path, diagnostics)
    sources = {stem: source for stem, (path, real) in files.items() if (source := _read_module(stem, path, real, diagnostics))}
    renderer = Renderer({source.real: source.meta["id"] for source in sources.values()})
    screen = screen_renderer(root, config["language"]) if screens else None
    links: list[LinkRef] = []

    def assemble(bodies: dict[str, RenderedBody]) -> Course:
        return _course(root, config, {stem: _module(source, bodies[stem], links) for stem, source in sources.items()})

    shared = partner and (partner[0], lambda bodies: partner[1](assemble(bodies)))
    bodies = _render_bodies(root, list(sources.values()), renderer, screen, diagnostics, cache or RenderCache(None), jobs, shared)
    real_paths = {source.path: source.real for source in sources.values()}
    return Loaded(assemble(bodies), links, lines, listed, real_paths)


def _read_yaml_file(path: Path, diagnostics: Diagnostics):
    """Read and parse a YAML file, or report why it cannot be read."""
    text = read_text(path, diagnostics)
    if text is None:
        return None
    if not text.strip():
        diagnostics.error(path, 0, "", "the file is empty")
        return None
    return load_yaml(text, path, diagnostics)


def _listed_modules(config: dict, lines: Lines) -> dict[str, list[int]]:
    """Return every module name course.yml lists, with the lines it is listed on."""
    listed: dict[str, list[int]] = {}
    for p, part in enumerate(config["parts"]):
        for m, name in enumerate(part["modules"]):
            listed.setdefault(str(name), []).append(lines.of("parts", p, "modules", m))
    return listed


def _module_files(root: Path, config: dict, lines: Lines, config_path: Path, diagnostics: Diagnostics) -> dict[str, tuple[Path, Path]]:
    """Find the file of every listed module, as given and with symlinks resolved; report missing,
    doubled and unlisted ones."""
    files: dict[str, tuple[Path, Path]] = {}
    real_root = root.resolve()
    for p, part in enumerate(config["parts"]):
        for m, name in enumerate(part["modules"]):
            where = ("parts", p, "modules", m)
            key = f"parts[{p}].modules[{m}]"
            name = str(name)
            if name in files:
                diagnostics.error(config_path, lines.of(*where), key, f"module '{name}' is listed twice")
                continue
            path = _module_path(root, name)
            if path is None:
                diagnostics.error(config_path, lines.of(*where), key, f"module '{name}' not found: expected {name}.md or {name}/index.md")
                continue
            real = path.resolve()
            if not real.is_relative_to(real_root):
                diagnostics.error(config_path, lines.of(*where), key, f"module '{name}' lies outside the course folder")
                continue
            files[name] = (path, real)
    for stem, path in _all_module_files(root).items():
        if stem not in files:
            diagnostics.error(path, 0, "", f"this module is not listed in course.yml; add '{stem}' to a part's modules")
    return files


def _module_path(root: Path, name: str) -> Path | None:
    """Return the Markdown file of module *name*, or None."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    for candidate in (root / f"{name}.md", root / name / "index.md"):
        if candidate.is_file():
            return candidate
    return None


def _all_module_files(root: Path) -> dict[str, Path]:
    """Return every Markdown module in the folder, by the name course.yml would list it under."""
    found = {p.stem: p for p in root.glob("*.md") if p.name.lower() != "readme.md" and not p.name.startswith("_")}
    found.update({p.parent.name: p for p in root.glob("*/index.md")})
    return found


@dataclass
class ModuleSource:
    """A module file read and its front matter validated, before its body is rendered."""

    stem: str
    path: Path
    real: Path
    """The file with symlinks resolved."""
    meta: dict
    lines: Lines
    body: str
    body_line: int


def _read_module(stem: str, path: Path, real: Path, diagnostics: Diagnostics) -> ModuleSource | None:
    """Read one module file and validate its front matter; report why it cannot be used."""
    text = read_text(path, diagnostics)
    if text is None:
        return None
    if not text.strip():
        diagnostics.error(path, 0, "", "the module file is empty; it needs front matter between '---' lines")
        return None
    split = split_front_matter(text)
    if split is None:
        diagnostics.error(path, 1, "", "the module must start with front matter between '---' lines (id, title, duration, goals)")
        return None
    front_text, body, body_line = split
    parsed = load_yaml(front_text, path, diagnostics, first_line=2)
    if parsed is None:
        return None
    meta, lines = parsed
    if not isinstance(meta, dict):
        diagnostics.error(path, 2, "", "the front matter must be a mapping of keys and values")
        return None
    if not validate(meta, MODULE, lines, path, diagnostics):
        return None
    return ModuleSource(stem, path, real, meta, lines, body, body_line)


@dataclass(frozen=True)
class RenderedBody:
    """What rendering a module's body yields: the cache stores exactly this."""

    body: tuple
    headings: tuple
    media: tuple
    links: tuple
    learner_html: str = ""
    """The learner view of the body as a web page shows it, when it was asked for (``Module.learner_html``)."""
    key: str = ""
    """The cache key it was rendered under: a hash of everything it was rendered from."""


def _render_bodies(root: Path, sources: list[ModuleSource], renderer: Renderer, screen: Callable[[tuple], str] | None,
                   diagnostics: Diagnostics, cache: RenderCache, jobs: int,
                   partner: tuple[Partner, Callable[[dict], object]] | None = None) -> dict[str, RenderedBody]:
    """Render every module's body (and with *screen*, its learner view for web pages), or take it
    from the cache; the rendering may be spread over *jobs* processes, or shared with a *partner*
    that goes on with every body."""
    real_root = root.resolve()
    templates = templates_fingerprint(root) if screen else ""
    keys = {
        source.stem: cache.key(source.real, real_root, source.meta["id"], source.body_line, renderer.fingerprint, templates, source.body)
        for source in sources
    }
    bodies: dict[str, RenderedBody] = {}
    for source in sources:
        rendered = cache.get(keys[source.stem])
        # A deleted image must be reported, so an entry is only good while its media exist.
        if rendered is not None and all(media.source.is_file() for media in rendered.media):
            bodies[source.stem] = rendered
    missing = [source for source in sources if source.stem not in bodies]
    # Rendered longest first, so that the workers finish together rather than one waiting on the
    # other's last module; taken in course order, so problems are reported in that order.
    longest_first = sorted(missing, key=lambda source: -len(source.body))
    render = functools.partial(_render_alone, root, renderer, screen)

    def keyed(rendered_all: list) -> dict[str, tuple[RenderedBody, list]]:
        return {s.stem: (dataclasses.replace(r, key=keys[s.stem]), problems) for s, (r, problems) in zip(longest_first, rendered_all)}

    if partner:
        # The partner renders modules beside this process, then goes on with every body. It keeps the
        # new ones in its copy of the cache, which it stages for this process to take over
        # (``build.Forked``): this one goes on to check the course. It reports nothing itself.
        process, then = partner

        def go_on(rendered_all: list) -> object:
            done = keyed(rendered_all)
            _keep(cache, keys, done)
            return then(bodies | {stem: body for stem, (body, _) in done.items()})

        results = keyed(process.share(render, longest_first, go_on))
    else:
        results = keyed(fork_map(render, longest_first, jobs if len(missing) >= PARALLEL_MIN else 1))
        _keep(cache, keys, results)
    for source in missing:
        rendered, problems = results[source.stem]
        diagnostics.items.extend(problems)
        bodies[source.stem] = rendered
    return bodies


def _keep(cache: RenderCache, keys: dict[str, str], results: dict[str, tuple[RenderedBody, list]]) -> None:
    """Put the bodies rendered without a problem in the cache (those with one are rendered again next time, to report it)."""
    for stem, (rendered, problems) in results.items():
        if not problems:
            cache.put(keys[stem], rendered)


def _render_alone(root: Path, renderer: Renderer, screen: Callable[[tuple], str] | None,
                  source: ModuleSource) -> tuple[RenderedBody, list]:
    """Render one module's body (and with *screen*, its learner view for web pages); return it with
    the problems it reported (picklable, for worker processes)."""
    diagnostics = Diagnostics()
    rendered = _render_body(root, source, renderer, diagnostics)
    if screen is not None and not diagnostics.errors:
        rendered = dataclasses.replace(rendered, learner_html=screen(without_trainer(rendered.body)))
    return rendered, diagnostics.items


def _module(source: ModuleSource, rendered: RenderedBody, links: list) -> Module:
    """Assemble a module of the model from its front matter and rendered body."""
    meta, lines, path = source.meta, source.lines, source.path
    links.extend(rendered.links)
    goals = tuple(Goal(g["id"], str(g["text"]).strip(), lines.of("goals", i, "id")) for i, g in enumerate(meta["goals"]))
    return Module(
        id=meta["id"], title=str(meta["title"]).strip(), part=meta.get("part", ""), duration=meta["duration"],
        summary=str(meta.get("summary", "")).strip(), goals=goals, body=rendered.body,
        headings=rendered.headings, media=rendered.media, path=path, stem=source.stem, lines=lines,
        rendered_from=rendered.key, learner_html=rendered.learner_html,
    )


def _render_body(root: Path, source: ModuleSource, renderer: Renderer, diagnostics: Diagnostics) -> RenderedBody:
    """Parse and render a module's body (the one expensive step of loading)."""
    context = ModuleContext(source.path, source.meta["id"], root, diagnostics)
    nodes = parse_body(source.body, source.body_line, source.path, diagnostics)
    body = renderer.render_module(nodes, context)
    media = tuple(sorted(context.media.values(), key=lambda m: m.target))
    return RenderedBody(body, tuple(context.headings), media, tuple(context.links))


def _course(root: Path, config: dict, modules: dict[str, Module]) -> Course:
    """Assemble the course from its configuration and loaded modules."""
    placed: set[str] = set()
    parts = []
    for part in config["parts"]:
        names = [str(n) for n in part["modules"] if str(n) in modules and str(n) not in placed]
        placed.update(names)
        parts.append(Part(part["id"], str(part["title"]), tuple(modules[n] for n in names)))
    parts = tuple(parts)
    completion = config.get("completion") or {}
    schedule = tuple(
        Session(str(s["title"]), s["minutes"], tuple(s.get("modules") or ()), str(s.get("note", "")).strip())
        for s in config.get("schedule") or ()
    )
    date = config.get("date")
    return Course(
        id=config["id"], title=str(config["title"]).strip(), subtitle=str(config.get("subtitle", "")).strip(),
        language=config["language"], version=str(config["version"]), date=date if isinstance(date, datetime.date) else None,
        authors=tuple(config["authors"]), license=str(config["license"]), license_url=str(config.get("license_url", "")),
        description=str(config["description"]).strip(), keywords=tuple(config.get("keywords") or ()),
        audience=tuple(config.get("audience") or ()), study_load=config.get("study_load") or 0,
        based_on=str(config.get("based_on", "")).strip(), completion_rule=completion.get("rule", "pages"),
        mastery_score=completion.get("mastery_score", 70),
        answer_storage=(config.get("answers") or {}).get("storage", "browser-and-lms"),
        theme=dict(config.get("theme") or {}), schedule=schedule, parts=parts, root=root,
    )
