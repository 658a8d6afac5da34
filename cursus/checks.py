"""Whole-course checks: ids, goal references, constructive alignment, knowledge checks and links."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from pathlib import Path

from cursus.diagnostics import Diagnostics
from cursus.loader import Loaded
from cursus.model import RESERVED_IDS, Block, Course, Module

ACTIVITIES = ("reflection", "exercise", "check", "case")
"""Blocks that count as activities serving a learning goal."""
ASSESSMENTS = ("reflection", "check")
"""Blocks through which a goal is reflected on or assessed."""
STORED = ("reflection", "exercise", "check", "case")
"""Blocks whose ids must be unique in the course (answers and progress are stored under them)."""
LAYOUTS = ("page", "cards")
"""How a copy sheet is printed: as a page (a form, a story), or its list cut into cards."""
HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
CONTRAST_MIN = 4.5
"""WCAG 2.2 AA for text: the accent colour is the header's background under white text, and the
colour of links on white."""


def check_course(loaded: Loaded, diagnostics: Diagnostics) -> None:
    """Run every whole-course check on a loaded course."""
    course = loaded.course
    if course is None:
        return
    _check_module_ids(course, diagnostics)
    _check_block_ids(course, diagnostics)
    for part in course.parts:
        for module in part.modules:
            _check_part(module, part.id, diagnostics)
            _check_goals(module, diagnostics)
            _check_blocks(module, diagnostics)
    _check_links(course, loaded, diagnostics)
    _check_schedule(course, loaded, diagnostics)
    _check_terms(course, diagnostics)
    _check_theme(course, loaded, diagnostics)


def _where(block: Block) -> str:
    """Name a block in a key path: ``check[kc-1]``."""
    return f"{block.kind}[{block.id}]" if block.id else block.kind


def _check_module_ids(course: Course, diagnostics: Diagnostics) -> None:
    """Report two modules with the same id, and an id a page of the site already has."""
    seen: dict[str, Module] = {}
    for module in course.modules:
        if module.id in RESERVED_IDS:
            diagnostics.error(module.path, module.lines.of("id"), "id", f"'{module.id}' is the name of one of the site's own pages; choose another module id")
        if module.id in seen:
            other = seen[module.id]
            diagnostics.error(module.path, module.lines.of("id"), "id", f"module id '{module.id}' is also used by {other.path.name}")
        seen.setdefault(module.id, module)


def _check_block_ids(course: Course, diagnostics: Diagnostics) -> None:
    """Report reflections, exercises, checks and cases that share an id."""
    seen: dict[str, tuple[Module, Block]] = {}
    for module in course.modules:
        for block in module.blocks():
            if block.kind not in STORED or not block.id:
                continue
            if block.id in seen:
                other_module, other = seen[block.id]
                diagnostics.error(module.path, block.line, f"{_where(block)}.id", f"id '{block.id}' is also used in {other_module.path.name}:{other.line}")
            seen.setdefault(block.id, (module, block))


def _check_part(module: Module, part_id: str, diagnostics: Diagnostics) -> None:
    """Report a module whose front matter names another part than course.yml lists it in."""
    if module.part and module.part != part_id:
        diagnostics.error(module.path, module.lines.of("part"), "part", f"the module says part '{module.part}' but course.yml lists it under '{part_id}'")


def _check_goals(module: Module, diagnostics: Diagnostics) -> None:
    """Check goal ids, goal references and constructive alignment in one module."""
    ids = [goal.id for goal in module.goals]
    if not ids:
        diagnostics.warning(module.path, module.lines.of("goals"), "goals", "the module has no learning goals")
    for index, goal in enumerate(module.goals):
        if ids.index(goal.id) != index:
            diagnostics.error(module.path, goal.line, f"goals[{index}].id", f"goal id '{goal.id}' is used twice in this module")
    served: dict[str, set[str]] = defaultdict(set)
    for block in module.blocks():
        for goal in block.goals:
            if goal not in ids:
                known = ", ".join(ids) or "none"
                diagnostics.error(module.path, block.line, f"{_where(block)}.goals", f"unknown goal '{goal}' (this module's goals: {known})")
            served[goal].add(block.kind)
    for index, goal in enumerate(module.goals):
        kinds = served.get(goal.id, set())
        if not kinds & set(ACTIVITIES):
            diagnostics.error(module.path, goal.line, f"goals[{index}]", f"goal '{goal.id}' is not served by any activity; name it in a reflection, exercise, check or case (goals={goal.id})")
        elif not kinds & set(ASSESSMENTS):
            diagnostics.warning(module.path, goal.line, f"goals[{index}]", f"goal '{goal.id}' is never reflected on or assessed; add a reflection or check for it")


def _check_blocks(module: Module, diagnostics: Diagnostics) -> None:
    """Check knowledge checks, numeric attributes and sources of one module."""
    for block in module.blocks():
        where = _where(block)
        for key in ("duration", "lines"):
            if key in block.attrs and not str(block.attrs[key]).isdigit():
                diagnostics.error(module.path, block.line, f"{where}.{key}", f"expected a whole number, got '{block.attrs[key]}'")
        if block.kind == "check":
            _check_check(module, block, where, diagnostics)
        if block.kind == "sheet":
            _check_sheet(module, block, where, diagnostics)
        if block.kind == "sources":
            for source in block.sources:
                if not source.urls:
                    diagnostics.warning(module.path, block.line, where, f"the reference '{source.text[:60]}' has no URL")
            if not block.sources:
                diagnostics.error(module.path, block.line, where, "the sources block has no list of references")


def _check_check(module: Module, block: Block, where: str, diagnostics: Diagnostics) -> None:
    """Check that a knowledge check has options and a valid set of correct answers."""
    mode = block.attrs.get("mode", "single")
    correct = sum(option.correct for option in block.options)
    if mode not in ("single", "multiple"):
        diagnostics.error(module.path, block.line, f"{where}.mode", f"mode must be 'single' or 'multiple', got '{mode}'")
    if len(block.options) < 2:
        diagnostics.error(module.path, block.line, f"{where}.options", "a knowledge check needs at least two options written as '- [ ] ...' and '- [x] ...'")
    elif correct == 0:
        diagnostics.error(module.path, block.line, f"{where}.options", "no option is marked correct; mark the right answer with '- [x]'")
    elif mode == "single" and correct > 1:
        diagnostics.error(module.path, block.line, f"{where}.options", f"{correct} options are marked correct; a single-choice check needs exactly one (or set mode=multiple)")
    for index, option in enumerate(block.options):
        if not option.feedback_html:
            diagnostics.warning(module.path, option.line, f"{where}.options[{index}]", "this option has no feedback; indent a paragraph under it explaining why it is right or wrong")
    if not block.text:
        diagnostics.error(module.path, block.line, f"{where}.question", "the knowledge check has no question before its options")


def _check_sheet(module: Module, block: Block, where: str, diagnostics: Diagnostics) -> None:
    """Check a copy sheet's layout, and that a sheet of cards has the list its cards are cut from."""
    layout = block.attrs.get("layout", "page")
    if layout not in LAYOUTS:
        known = "' or '".join(LAYOUTS)
        diagnostics.error(module.path, block.line, f"{where}.layout", f"layout must be '{known}', got '{layout}'")
    elif layout == "cards" and "<li" not in block.html:
        diagnostics.error(module.path, block.line, f"{where}.layout", "a sheet of cards needs a list: each item ('- ...') becomes one card")
    if not block.html.strip():
        diagnostics.error(module.path, block.line, where, "the copy sheet is empty; write what the trainer copies")


def _check_links(course: Course, loaded: Loaded, diagnostics: Diagnostics) -> None:
    """Check that links to modules and anchors point at something that exists."""
    # Links name their module as written or with symlinks resolved; the loader resolved each module's file once.
    by_path = {module.path: module for module in course.modules}
    by_path.update({loaded.real_paths.get(module.path) or module.path.resolve(): module for module in course.modules})
    resolved = functools.cache(lambda target: by_path.get(Path(target)) or by_path.get(Path(target).resolve()))
    anchors = {module.id: {h.id for h in module.headings} | {b.id for b in module.blocks() if b.id} for module in course.modules}
    for link in loaded.links:
        target = resolved(link.target)
        if target is None:
            diagnostics.error(link.path, link.line, "link", f"the link to '{Path(link.target).name}' does not point at a module of this course")
            continue
        if link.fragment and link.fragment not in anchors[target.id]:
            diagnostics.error(link.path, link.line, "link", f"the anchor '#{link.fragment}' does not exist in {target.path.name}")


def _check_schedule(course: Course, loaded: Loaded, diagnostics: Diagnostics) -> None:
    """Check that the trainer schedule names existing modules."""
    if len(course.modules) < len(loaded.listed):
        return  # a module failed to load; its own error says why, unknown ids here would only echo it
    ids = {module.id for module in course.modules}
    config = course.root / "course.yml"
    for s, session in enumerate(course.schedule):
        for m, module_id in enumerate(session.modules):
            if module_id not in ids:
                line = loaded.course_lines.of("schedule", s, "modules", m)
                diagnostics.error(config, line, f"schedule[{s}].modules[{m}]", f"unknown module id '{module_id}'")


def _check_terms(course: Course, diagnostics: Diagnostics) -> None:
    """Warn about a glossary term defined in two places."""
    seen: dict[str, Module] = {}
    for module, term in course.terms():
        key = term.title.casefold()
        if key in seen:
            diagnostics.warning(module.path, term.line, f"term[{term.title}]", f"the term is also defined in {seen[key].path.name}")
        seen.setdefault(key, module)


def _check_theme(course: Course, loaded: Loaded, diagnostics: Diagnostics) -> None:
    """Check the accent colour: a colour (it goes into every page's style) that reads well against white."""
    accent = course.theme.get("accent")
    if accent is None:
        return
    config, line = course.root / "course.yml", loaded.course_lines.of("theme", "accent")
    if not HEX_COLOUR.match(str(accent)):
        diagnostics.error(config, line, "theme.accent", f"'{accent}' is not a colour; write it as #rrggbb, e.g. #0b5f73")
        return
    ratio = contrast(str(accent), "#ffffff")
    if ratio < CONTRAST_MIN:
        diagnostics.error(config, line, "theme.accent", f"white text on {accent} (the page header), and {accent} links on white, "
                          f"have a contrast of {ratio:.1f}:1; WCAG AA asks for {CONTRAST_MIN}:1, so choose a darker colour")


def contrast(one: str, other: str) -> float:
    """Return the WCAG contrast ratio of two colours written as #rgb or #rrggbb."""
    lighter, darker = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    """Return a colour's relative luminance (WCAG 2.2)."""
    digits = colour[1:] if len(colour) == 7 else "".join(2 * c for c in colour[1:])
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
