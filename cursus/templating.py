"""Jinja2 environment: a course's own templates first, then the built-in ones; UI strings per language."""

from __future__ import annotations

import contextlib
import os
import traceback
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import jinja2
import jinja2.bccache
import yaml

from cursus.diagnostics import CourseInvalid, CursusError, Diagnostics
from cursus.model import Course, remembered

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
    own = course.root / "templates"
    return [own, BUILTIN] if own.is_dir() else [BUILTIN]


_ENVIRONMENTS: dict = {}
"""The environments of the latest course views: the builders of one build share one, and so its
loaded templates. A new build has new course objects, and so new environments that see changed templates."""


def environment(course: Course) -> jinja2.Environment:
    """Return a strict, autoescaping Jinja2 environment for a course (the same one for the same course object)."""
    return remembered(_ENVIRONMENTS, course, lambda: _new_environment(course))


def _new_environment(course: Course) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in search_path(course)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=COMPILED,
    )
    strings = ui_strings(course.language, tuple(search_path(course)))
    env.globals["t"] = lambda key, **values: strings[key].format(**values) if values else strings[key]
    env.globals["course"] = course
    env.filters["minutes"] = lambda m: format_minutes(m, strings)
    return env


@lru_cache(maxsize=8)
def ui_strings(language: str, folders: tuple[Path, ...]) -> dict[str, str]:
    """Return the UI strings for *language*: English as the base, the language's file over it."""
    strings: dict[str, str] = {}
    for name in ("en", language):
        for folder in reversed(folders):
            path = folder / "i18n" / f"{name}.yml"
            if path.is_file():
                strings.update(yaml.safe_load(path.read_text("utf-8")) or {})
    return strings


def find_static(course: Course, name: str) -> Path:
    """Return a static asset from the template search path (``static/<name>``)."""
    for folder in search_path(course):
        candidate = folder / "static" / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(name)


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
