"""Declarative shapes of course.yml and module front matter, and the validator that reports misfits."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cursus.diagnostics import Diagnostics
from cursus.source import Lines, key_path

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Field:
    """One key of a mapping: its expected kind and whether it must be present."""

    kind: Any
    """``str``, ``int``, ``"id"``, ``"date"``, a ``Mapping``, or a one-item list ``[kind]``."""
    required: bool = False
    choices: tuple = ()


@dataclass(frozen=True)
class Mapping:
    """A YAML mapping with a fixed set of keys; unknown keys are errors."""

    fields: dict[str, Field]
    open: bool = False
    """An open mapping (theme overrides) accepts any key with a string value."""


GOAL = Mapping({"id": Field("id", True), "text": Field(str, True)})

MODULE = Mapping({
    "id": Field("id", True),
    "title": Field(str, True),
    "part": Field("id"),
    "duration": Field(int, True),
    "summary": Field(str),
    "goals": Field([GOAL], True),
})

PART = Mapping({"id": Field("id", True), "title": Field(str, True), "modules": Field([str], True)})
SESSION = Mapping({"title": Field(str, True), "minutes": Field(int, True), "modules": Field(["id"]), "note": Field(str)})

COURSE = Mapping({
    "id": Field("id", True),
    "title": Field(str, True),
    "subtitle": Field(str),
    "language": Field(str, True, ("nl", "en")),
    "version": Field(str, True),
    "date": Field("date"),
    "authors": Field([str], True),
    "license": Field(str, True),
    "license_url": Field(str),
    "description": Field(str, True),
    "keywords": Field([str]),
    "audience": Field([str]),
    "study_load": Field(int),
    "based_on": Field(str),
    "completion": Field(Mapping({
        "rule": Field(str, False, ("pages", "checks", "pages-and-checks")),
        "mastery_score": Field(int),
    })),
    "answers": Field(Mapping({"storage": Field(str, False, ("browser", "browser-and-lms"))})),
    "theme": Field(Mapping({}, open=True)),
    "schedule": Field([SESSION]),
    "parts": Field([PART], True),
})

_KIND_NAMES = {str: "text", int: "a whole number", "id": "an id", "date": "a date (YYYY-MM-DD)"}


def validate(value: Any, shape: Mapping, lines: Lines, path: Path, diagnostics: Diagnostics) -> bool:
    """Report every place where *value* does not fit *shape*; return whether it fits."""
    before = len(diagnostics.errors)
    _check(value, shape, (), lines, path, diagnostics)
    return len(diagnostics.errors) == before


def _check(value: Any, kind: Any, at: tuple, lines: Lines, path: Path, diagnostics: Diagnostics) -> None:
    """Check one value against one kind, recursing into mappings and lists."""
    def fail(message: str, where: tuple = at) -> None:
        diagnostics.error(path, lines.of(*where), key_path(where), message)

    if isinstance(kind, Mapping):
        if not isinstance(value, dict):
            return fail("expected a mapping of keys and values")
        _check_mapping(value, kind, at, lines, path, diagnostics, fail)
    elif isinstance(kind, list):
        if not isinstance(value, list):
            return fail(f"expected a list of {_name(kind[0])}")
        for index, item in enumerate(value):
            _check(item, kind[0], at + (index,), lines, path, diagnostics)
    elif kind == "date":
        if not isinstance(value, datetime.date):
            fail("expected a date written as YYYY-MM-DD")
    elif kind == "id":
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            fail(f"expected an id of lowercase letters, digits and hyphens, got {value!r}")
    elif kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            fail(f"expected a whole number, got {value!r}")
    elif kind is str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return  # 1.0 as a version or 2021 as a title are fine as text
        if not isinstance(value, str) or not value.strip():
            fail(f"expected text, got {_describe(value)}")


def _check_mapping(value: dict, shape: Mapping, at, lines, path, diagnostics, fail) -> None:
    """Check the keys of one mapping: unknown, missing, wrong choices."""
    for key, item in value.items():
        field = shape.fields.get(key)
        if field is None:
            if shape.open and isinstance(item, (str, int)):
                continue
            known = ", ".join(sorted(shape.fields)) or "none"
            fail(f"unknown key (known keys: {known})", at + (key,))
            continue
        _check(item, field.kind, at + (key,), lines, path, diagnostics)
        if field.choices and item not in field.choices:
            fail(f"must be one of {', '.join(field.choices)}, got {item!r}", at + (key,))
    for key, field in shape.fields.items():
        if field.required and key not in value:
            fail(f"missing required key '{key}'", at)


def _name(kind: Any) -> str:
    """Describe a kind in words for a message."""
    if isinstance(kind, Mapping):
        return "mappings"
    return _KIND_NAMES.get(kind, str(kind))


def _describe(value: Any) -> str:
    """Describe a wrongly-typed value in words."""
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)
