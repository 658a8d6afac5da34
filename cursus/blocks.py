"""Split a module body into prose and fenced ``:::`` blocks, keeping line numbers."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from cursus.diagnostics import Diagnostics

OPEN = re.compile(r"^(:{3,})\s*([A-Za-z][\w-]*)\s*(.*?)\s*$")
CLOSE = re.compile(r"^:{3,}\s*$")
CODE_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
ATTRS = re.compile(r"^(.*?)\s*\{(.*)\}$")
SHLEX_SPACE = re.compile(r"[ \t\r\n]+")
"""What ``shlex.split`` splits at."""

TOP = None
"""The parent of top-level blocks, in ``PARENTS``."""

PARENTS = {
    "reflection": {TOP, "case", "exercise"},
    "exercise": {TOP},
    "materials": {"exercise"},
    "steps": {"exercise"},
    "debrief": {"exercise"},
    "sheet": {"exercise"},
    "check": {TOP, "case"},
    "case": {TOP},
    "example": {TOP},
    "term": {TOP, "example", "case"},
    "sources": {TOP},
    "trainer": {TOP, "reflection", "exercise", "check", "case", "example", "debrief", "steps"},
}
"""Where each block type may stand: its allowed parents."""

ATTRIBUTES = {
    "reflection": {"goals", "lines"},
    "exercise": {"goals", "duration", "group"},
    "check": {"goals", "mode"},
    "case": {"goals"},
    "example": {"goals"},
    "sheet": {"layout"},
}
"""The attributes (besides ``#id``) each block type accepts."""

NEEDS_ID = {"reflection", "exercise", "check"}
NEEDS_TITLE = {"exercise", "case", "example", "term", "sheet"}


@dataclass
class Text:
    """A run of Markdown lines between blocks."""

    text: str
    line: int


@dataclass
class RawBlock:
    """A fenced block as written, before rendering."""

    kind: str
    title: str
    id: str
    attrs: dict
    line: int
    children: list = field(default_factory=list)

    def text(self) -> str:
        """Return the block's own Markdown (without nested blocks)."""
        return "\n".join(child.text for child in self.children if isinstance(child, Text))


def parse_body(body: str, first_line: int, path: Path, diagnostics: Diagnostics) -> list:
    """Parse a Markdown body into ``Text`` and ``RawBlock`` nodes; report malformed fences."""
    root: list = []
    stack: list[RawBlock] = []
    pending: list[str] = []
    pending_line = first_line
    in_code = ""

    def flush(next_line: int) -> None:
        nonlocal pending, pending_line
        if any(line.strip() for line in pending):
            target = stack[-1].children if stack else root
            target.append(Text("\n".join(pending), pending_line))
        pending, pending_line = [], next_line

    for offset, line in enumerate(body.split("\n")):
        number = first_line + offset
        fence = CODE_FENCE.match(line)
        if fence and (not in_code or fence.group(1)[0] == in_code[0]):
            in_code = "" if in_code else fence.group(1)
        if in_code or fence:
            pending.append(line)
            continue
        if CLOSE.match(line):
            flush(number + 1)
            if stack:
                stack.pop()
            else:
                diagnostics.error(path, number, "", "this ':::' closes no open block")
            continue
        opened = OPEN.match(line)
        if opened:
            flush(number + 1)
            block = _open_block(opened, number, stack[-1] if stack else None, path, diagnostics)
            (stack[-1].children if stack else root).append(block)
            stack.append(block)
            continue
        pending.append(line)
    flush(first_line)
    for block in stack:
        diagnostics.error(path, block.line, block.kind, f"the '{block.kind}' block opened here is never closed with ':::'")
    return root


def _open_block(match: re.Match, line: int, parent: RawBlock | None, path: Path, diagnostics: Diagnostics) -> RawBlock:
    """Create a block from its opening fence, reporting unknown types, misplaced blocks and bad attributes."""
    kind, rest = match.group(2).lower(), match.group(3)
    title, attrs, block_id = rest, {}, ""
    found = ATTRS.match(rest)
    if found:
        title = found.group(1)
        block_id, attrs = _parse_attrs(found.group(2), kind, line, path, diagnostics)
    block = RawBlock(kind, title.strip(), block_id, attrs, line)
    if kind not in PARENTS:
        known = ", ".join(sorted(PARENTS))
        diagnostics.error(path, line, kind, f"unknown block type '{kind}' (known types: {known})")
        return block
    parent_kind = parent.kind if parent else TOP
    if parent_kind not in PARENTS[kind]:
        where = f"inside a '{parent_kind}' block" if parent else "at the top level"
        diagnostics.error(path, line, kind, f"a '{kind}' block cannot stand {where}")
    if kind in NEEDS_ID and not block_id:
        diagnostics.error(path, line, f"{kind}.id", f"a '{kind}' block needs an id, e.g. {{#{kind[:3]}-1}}: answers are stored under it")
    if kind in NEEDS_TITLE and not block.title:
        diagnostics.error(path, line, f"{kind}.title", f"a '{kind}' block needs a title after the type: '::: {kind} Title'")
    return block


def _tokens(text: str) -> list[str]:
    """Return ``shlex.split(text)``; without quotes or backslashes, that is the text split at
    shlex's white space, found without shlex (which reads a character at a time)."""
    if "'" in text or '"' in text or "\\" in text:
        return shlex.split(text)
    return [token for token in SHLEX_SPACE.split(text) if token]


def _parse_attrs(text: str, kind: str, line: int, path: Path, diagnostics: Diagnostics) -> tuple[str, dict]:
    """Parse ``#id key=value key="a b"`` into an id and a dict of attributes."""
    try:
        tokens = _tokens(text)
    except ValueError as exc:
        diagnostics.error(path, line, kind, f"cannot read the attributes {{{text}}}: {exc}")
        return "", {}
    block_id, attrs = "", {}
    allowed = ATTRIBUTES.get(kind, set())
    for token in tokens:
        if token.startswith("#") and len(token) > 1:
            block_id = token[1:]
            if not re.match(r"^[a-z0-9][a-z0-9-]*$", block_id):
                diagnostics.error(path, line, f"{kind}.id", f"the id '{block_id}' may only use lowercase letters, digits and hyphens")
        elif "=" in token:
            key, value = token.split("=", 1)
            if key not in allowed:
                known = ", ".join(sorted(allowed)) or "none besides #id"
                diagnostics.error(path, line, f"{kind}.{key}", f"unknown attribute '{key}' (known: {known})")
            attrs[key] = value
        else:
            diagnostics.error(path, line, kind, f"cannot read the attribute '{token}': write key=value or #id")
    return block_id, attrs
