"""Jinja2 environment: a course's own templates first, then the built-in ones; UI strings per language."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import traceback
from functools import lru_cache
from pathlib import Path
from stat import S_ISREG
from typing import Callable, Iterator

import jinja2
import jinja2.bccache

from cursus.diagnostics import CourseInvalid, CursusError, Diagnostics
from cursus.model import Course, remembered
from cursus.source import load_yaml, read_text

TEMPLATE_SUFFIXES = (".html", ".yml")
"""Templates and UI strings: the files of the template search path that pages are made from."""
BUILTIN = Path(__file__).resolve().parent.parent / "templates"
"""The built-in templates and static assets (``templates/`` at the top of the repository)."""


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates shared by every environment of this process (each builder makes its own
    environment, and ``cursus serve`` makes new ones on every rebuild), and kept on disk for the
    next process, in the user's cache folder: compiling the templates took a build a tenth of a
    second. Keyed by the template's source, so a changed template is compiled again."""

    def __init__(self):
        self.code: dict[tuple[str, str], bytes] = {}
        self._disk: jinja2.FileSystemBytecodeCache | None | bool = False
        """Jinja's cache on disk; None where there is no usable folder; False until first needed."""

    def disk(self) -> jinja2.FileSystemBytecodeCache | None:
        if self._disk is False:
            self._disk = None
            try:
                folder = _user_cache() / f"templates-jinja2-{jinja2.__version__}"
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                self._disk = jinja2.FileSystemBytecodeCache(str(folder))
            except (OSError, RuntimeError):  # no usable home or cache folder: compile in every process
                pass
        return self._disk

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self.code.get((bucket.key, bucket.checksum))
        if code is not None:
            bucket.bytecode_from_string(code)
            return
        disk = self.disk()
        if disk is not None:
            with contextlib.suppress(OSError):
                disk.load_bytecode(bucket)
            if bucket.code is not None:
                self.code[(bucket.key, bucket.checksum)] = bucket.bytecode_to_string()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[(bucket.key, bucket.checksum)] = bucket.bytecode_to_string()
        disk = self.disk()
        if disk is not None:
            with contextlib.suppress(OSError):  # without it, the next process compiles again
                disk.dump_bytecode(bucket)


def _user_cache() -> Path:
    """Return cursus's folder in the user's cache folder (``$XDG_CACHE_HOME/cursus``, else ``~/.cache/cursus``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cursus"


COMPILED = _CompiledTemplates()


def search_path(course: Course) -> list[Path]:
    """Return the template folders in lookup order: the course's ``templates/`` overrides the built-in ones."""
    return _search_path(course.root)


def _search_path(root: Path) -> list[Path]:
    own = root / "templates"
    return [own, BUILTIN] if own.is_dir() else [BUILTIN]


_ENVIRONMENTS: dict = {}
"""The environments of the latest course views: the builders of one build share one, and so its
loaded templates. A new build has new course objects, and so new environments that see changed templates."""


def environment(course: Course) -> jinja2.Environment:
    """Return a strict, autoescaping Jinja2 environment for a course (the same one for the same course object)."""
    return remembered(_ENVIRONMENTS, course, lambda: _new_environment(course))


def _new_environment(course: Course) -> jinja2.Environment:
    env = _bare_environment(search_path(course), course.language)
    env.globals["course"] = course
    return env


def _bare_environment(folders: list[Path], language: str) -> jinja2.Environment:
    """Return the environment of a course's templates, without the course itself."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in folders]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=COMPILED,
    )
    strings = ui_strings(language, tuple(folders))
    env.globals["t"] = lambda key, **values: strings[key].format(**values) if values else strings[key]
    env.filters["minutes"] = lambda m: format_minutes(m, strings)
    return env


def screen_renderer(root: Path, language: str) -> Callable[[tuple], str] | None:
    """Return what renders a module's body as a web page shows it (``partials/body.html``, medium
    'screen') before the course is put together: the loader renders every body once this way, for
    the website and the SCORM packages alike, spread over the processes that render the Markdown.

    None when the course has partials of its own (they may use what only a page knows) or UI strings
    that cannot be read (the pages report them): its pages then render each body themselves. The
    function returns '' for a body the partials cannot render, which a page then renders itself,
    reporting the mistake as usual."""
    folders = _search_path(root)
    if (root / "templates" / "partials").exists():
        return None
    try:
        template = _bare_environment(folders, language).get_template("partials/body.html")
    except (CursusError, jinja2.TemplateError):
        return None

    def render(nodes: tuple) -> str:
        try:
            return template.render(nodes=nodes, medium="screen")
        except (jinja2.TemplateError, KeyError):
            return ""

    return render


def templates_fingerprint(root: Path) -> str:
    """Return a hash of every template and UI-strings file on the template search path of the course in *root*."""
    digest = hashlib.sha256()
    for folder in _search_path(root):
        for path in sorted(p for p in folder.rglob("*") if p.suffix in TEMPLATE_SUFFIXES and p.is_file()):
            digest.update(f"{path.relative_to(folder)}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


def ui_strings(language: str, folders: tuple[Path, ...]) -> dict[str, str]:
    """Return the UI strings for *language*: English as the base, the language's file over it.

    A course's own ``templates/i18n/<language>.yml`` that is not a mapping of texts stops the build
    with a message naming its file, line and key."""
    files = []
    for name in ("en", language):
        for folder in reversed(folders):
            path = folder / "i18n" / f"{name}.yml"
            with contextlib.suppress(OSError):
                found = path.stat()
                if S_ISREG(found.st_mode):
                    files.append((path, found.st_mtime_ns, found.st_size))
    return _ui_strings(tuple(files))


@lru_cache(maxsize=8)
def _ui_strings(files: tuple[tuple[Path, int, int], ...]) -> dict[str, str]:
    """Return the strings of *files* (each with its modification time and size, so an edited file is read again)."""
    strings: dict[str, str] = {}
    diagnostics = Diagnostics()
    for path, _, _ in files:
        strings.update(_strings_file(path, diagnostics))
    if diagnostics.errors:
        raise CursusError("\n".join(map(str, diagnostics.errors)) + f"\n{CourseInvalid(diagnostics).message}")
    return strings


def _strings_file(path: Path, diagnostics: Diagnostics) -> dict[str, str]:
    """Return the UI strings of one file, reporting what is not a text by key."""
    text = read_text(path, diagnostics)
    parsed = load_yaml(text, path, diagnostics) if text is not None else None
    if parsed is None or parsed[0] is None:
        return {}
    value, lines = parsed
    if not isinstance(value, dict):
        diagnostics.error(path, lines.of(), "", "UI strings must be a mapping of keys to texts")
        return {}
    for key, text in value.items():
        if not isinstance(text, str):
            diagnostics.error(path, lines.of(key), str(key), "a UI string must be text (put it in quotes)")
    return {str(key): text for key, text in value.items() if isinstance(text, str)}


def find_static(course: Course, name: str) -> Path:
    """Return a static asset from the template search path (``static/<name>``)."""
    for folder in search_path(course):
        candidate = folder / "static" / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(name)


INDENT = re.compile(rb"(?m)^[ \t]+")
"""The indentation of a line of a script or stylesheet: learners download it for nothing."""


def static_bytes(course: Course, name: str) -> bytes:
    """Return a static asset as learners download it: scripts and styles without the indentation of
    their lines (a tenth of their size; the line numbers stay those of the source)."""
    data = find_static(course, name).read_bytes()
    return INDENT.sub(b"", data) if name.endswith((".js", ".css")) else data


def format_minutes(minutes: int, strings: dict[str, str]) -> str:
    """Format a duration as '45 min' or '2 u 30 min' in the course's language."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return strings["duration_minutes"].format(minutes=rest)
    if not rest:
        return strings["duration_hours"].format(hours=hours)
    return strings["duration_hours_minutes"].format(hours=hours, minutes=rest)


@contextlib.contextmanager
def template_errors() -> Iterator[None]:
    """Turn a mistake in a template (a course's own, usually) into one clear message naming its file and line."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        raise _invalid(Path(exc.filename) if exc.filename else exc.name or "template", exc.lineno, exc.message) from None
    except jinja2.TemplateNotFound as exc:
        raise _invalid(*_where(exc), f"'{exc.name}' not found") from None
    except jinja2.TemplateError as exc:
        raise _invalid(*_where(exc), exc.message or str(exc)) from None


def _invalid(path: Path | str, line: int, message: str) -> CursusError:
    """Return the error a build stops with: the diagnostic line, then the usual summary."""
    diagnostics = Diagnostics()
    diagnostics.error(path, line, "template", message)
    return CursusError(f"{diagnostics.errors[0]}\n{CourseInvalid(diagnostics).message}")


def _where(exc: BaseException) -> tuple[Path | str, int]:
    """Return the file and line of the innermost template frame of an exception's traceback."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).suffix in (".html", ".xml", ".js", ".css")]
    return (Path(frames[-1].filename), frames[-1].lineno) if frames else ("template", 0)
