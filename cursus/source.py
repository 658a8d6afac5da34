"""Reading source files: text decoding, front matter, and YAML that remembers its line numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cursus.diagnostics import Diagnostics

FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when PyYAML has it: ten times faster, which counts in a 1,500-module course."""
PARSED_MAX = 4096
"""YAML documents a process remembers parsed (``cursus serve`` rebuilds without parsing them again)."""
_PARSED: dict[tuple[str, int], tuple[Any, "Lines"]] = {}
"""Documents that parsed without a problem, by text and first line: their value and lines, never changed by their users."""


@dataclass
class Lines:
    """Line numbers of a YAML document, by key path (``("goals", 0, "id")`` -> 7)."""

    offset: int = 0
    """Added to every line: the line of the document's first line in its file, minus one."""
    by_path: dict[tuple, int] = field(default_factory=dict)

    def of(self, *path: Any) -> int:
        """Return the line of *path*, or of its nearest ancestor that has one."""
        while path:
            if path in self.by_path:
                return self.by_path[path] + self.offset
            path = path[:-1]
        return self.by_path.get((), 0) + self.offset


def key_path(path: tuple) -> str:
    """Format a key path tuple the way diagnostics show it: ``goals[1].id``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def read_text(path: Path, diagnostics: Diagnostics) -> str | None:
    """Read a UTF-8 text file; accept a BOM and Windows line endings; report binary or bad bytes."""
    data = path.read_bytes()
    if b"\x00" in data:
        diagnostics.error(path, 0, "", "this is a binary file, not UTF-8 text")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        diagnostics.error(path, line, "", f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8")
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_yaml(text: str, path: Path, diagnostics: Diagnostics, first_line: int = 1) -> tuple[Any, Lines] | None:
    """Parse one YAML document; return its value and the line of every key, or report why not.

    The value and lines are shared with later calls for the same text: treat them as read-only."""
    remembered = _PARSED.get((text, first_line))
    if remembered is not None:
        return remembered
    known = len(diagnostics.items)
    lines = Lines(offset=first_line - 1)
    try:
        try:
            node, value = _parse(text, FAST_LOADER)
        except yaml.YAMLError:
            # libyaml words its errors differently; the diagnostics are written for the Python parser's.
            node, value = _parse(text, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        diagnostics.error(path, *_yaml_problem(exc, text, first_line))
        return None
    except yaml.YAMLError as exc:
        diagnostics.error(path, first_line, "", f"invalid YAML: {exc}")
        return None
    if node is not None:
        _record_lines(node, (), lines, path, diagnostics)
    if len(diagnostics.items) == known:
        if len(_PARSED) >= PARSED_MAX:
            _PARSED.clear()
        _PARSED[(text, first_line)] = (value, lines)
    return value, lines


def _parse(text: str, loader_class) -> tuple[yaml.Node | None, Any]:
    """Parse a document once into its node (for line numbers) and its value."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.MarkedYAMLError, text: str, first_line: int) -> tuple[int, str, str]:
    """Return (line, key, message) for a YAML syntax error, pointing at where the mistake starts."""
    mark = exc.context_mark or exc.problem_mark
    line = (mark.line if mark else 0) + first_line
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    if exc.context_mark and exc.problem_mark and exc.problem_mark.line != exc.context_mark.line:
        problem += f" (noticed on line {exc.problem_mark.line + first_line})"
    source_lines = text.split("\n")
    bad = exc.problem_mark.line if exc.problem_mark else -1
    if 0 <= bad < len(source_lines) and "\t" in source_lines[bad]:
        line, problem = bad + first_line, "a tab character is used for indentation; YAML needs spaces"
    return line, "", f"invalid YAML: {problem}"


def _record_lines(node: yaml.Node, path: tuple, lines: Lines, file: Path, diagnostics: Diagnostics) -> None:
    """Walk a composed YAML node, noting each key's line and reporting duplicate keys."""
    lines.by_path[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                diagnostics.error(file, key_node.start_mark.line + 1 + lines.offset, key_path(path + (key,)), "this key appears twice")
            seen.add(key)
            _record_lines(value_node, path + (key,), lines, file, diagnostics)
            lines.by_path[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, path + (index,), lines, file, diagnostics)


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Split ``---``-fenced front matter from the body; return (yaml, body, body's first line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    return None
