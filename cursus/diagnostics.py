"""Problems found in a course, with their location, and the exception that reports them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in a source file."""

    path: str
    """The file, relative to the working directory where possible."""
    line: int
    """1-based line number; 0 when the problem concerns the whole file."""
    severity: str
    """``error`` or ``warning``."""
    key: str
    """The key path in the file, such as ``goals[1].id``; empty when there is none."""
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        key = f"{self.key}: " if self.key else ""
        return f"{where}: {self.severity}: {key}{self.message}"


def display_path(path: Path) -> str:
    """Return *path* relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass
class Diagnostics:
    """A collector: every step adds what it finds, the CLI prints them all and fails once."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, path: Path | str, line: int, key: str, message: str) -> None:
        """Record an error."""
        self._add(path, line, "error", key, message)

    def warning(self, path: Path | str, line: int, key: str, message: str) -> None:
        """Record a warning."""
        self._add(path, line, "warning", key, message)

    def _add(self, path, line, severity, key, message) -> None:
        shown = display_path(path) if isinstance(path, Path) else path
        self.items.append(Diagnostic(shown, line or 0, severity, key, message))

    @property
    def errors(self) -> list[Diagnostic]:
        """The errors, in file and line order."""
        return sorted(d for d in self.items if d.severity == "error")

    @property
    def warnings(self) -> list[Diagnostic]:
        """The warnings, in file and line order."""
        return sorted(d for d in self.items if d.severity == "warning")

    def failed(self, strict: bool = False) -> bool:
        """Tell whether the build must stop."""
        return bool(self.errors or (strict and self.warnings))

    def extend(self, other: Diagnostics) -> None:
        """Take over the problems of another collector."""
        self.items.extend(other.items)


class CursusError(click.ClickException):
    """A failure caused by the user's input: printed as one clear message, exit code 1."""

    exit_code = 1

    def format_message(self) -> str:
        return self.message


class CourseInvalid(CursusError):
    """The course has errors; the diagnostics have already been printed."""

    def __init__(self, diagnostics: Diagnostics, strict: bool = False):
        errors = len(diagnostics.errors)
        warnings = len(diagnostics.warnings)
        if errors:
            text = f"{errors} error(s) found; nothing was written."
        else:
            text = f"{warnings} warning(s) found and --strict is on; nothing was written."
        super().__init__(text)
        self.diagnostics = diagnostics
