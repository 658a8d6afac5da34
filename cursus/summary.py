"""The summary ``cursus check`` prints for a trainer: size of the course and its goal alignment."""

from __future__ import annotations

from dataclasses import dataclass

from cursus.checks import ACTIVITIES, ASSESSMENTS
from cursus.model import Course, Module


@dataclass(frozen=True)
class GoalRow:
    """One line of the alignment table."""

    module: str
    goal: str
    text: str
    activities: tuple[str, ...]
    assessed: bool


def alignment(course: Course) -> list[GoalRow]:
    """Return, for every learning goal, the activities that serve it and whether it is assessed."""
    return [row for module in course.modules for row in _module_rows(module)]


def _module_rows(module: Module) -> list[GoalRow]:
    """Return the alignment rows of one module."""
    rows = []
    for goal in module.goals:
        blocks = [b for b in module.blocks() if goal.id in b.goals and b.kind in ACTIVITIES]
        activities = tuple(f"{b.kind}:{b.id}" for b in blocks)
        rows.append(GoalRow(module.id, goal.id, goal.text, activities, any(b.kind in ASSESSMENTS for b in blocks)))
    return rows


def summary_lines(course: Course) -> list[str]:
    """Return the summary as lines of text."""
    modules = course.modules
    count = lambda kind, noun="": _count(sum(len(m.blocks(kind)) for m in modules), noun or kind)
    lines = [
        f"{course.title} ({course.id} {course.version})",
        f"  {_count(len(course.parts), 'part')}, {_count(len(modules), 'module')}, {course.minutes} minutes of study"
        f" ({course.study_load} h study load), {_count(sum(len(m.goals) for m in modules), 'learning goal')}",
        f"  activities: {count('reflection')}, {count('exercise')},"
        f" {count('check', 'knowledge check')}, {count('case')}; {_count(len(course.terms()), 'glossary term')},"
        f" {count('sheet', 'copy sheet')}",
        "",
    ]
    for part in course.parts:
        lines.append(f"  {part.title}: {_count(len(part.modules), 'module')}, {sum(m.duration for m in part.modules)} min")
    lines += ["", "  Alignment (goal -> activities; * = reflected on or assessed):"]
    for row in alignment(course):
        mark = "*" if row.assessed else " "
        activities = ", ".join(row.activities) or "NONE"
        lines.append(f"  {mark} {row.module}/{row.goal}: {activities}")
    return lines


def _count(number: int, noun: str) -> str:
    """Return '1 module' or '2 modules'."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
