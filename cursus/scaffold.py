"""``cursus new``: create a valid course or module from the built-in skeletons."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import jinja2
import yaml

from cursus.diagnostics import CursusError
from cursus.templating import BUILTIN

SKELETONS = BUILTIN / "scaffold"


def _render(name: str, **context) -> str:
    """Render one skeleton file."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(SKELETONS)), undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.get_template(name).render(**context)


def slug(text: str) -> str:
    """Turn a title or name into an id, accents dropped ('Financiële opvoeding' -> 'financiele-opvoeding')."""
    ascii_only = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-") or "module"


def new_course(directory: Path, title: str, language: str) -> Path:
    """Create a minimal course folder with one module; refuse to overwrite anything."""
    directory = Path(directory)
    if (directory / "course.yml").exists():
        raise CursusError(f"{directory}/course.yml already exists; not overwriting it")
    directory.mkdir(parents=True, exist_ok=True)
    course_yml = _render("course.yml", id=slug(directory.resolve().name), title=title, language=language)
    (directory / "course.yml").write_text(course_yml, "utf-8")
    (directory / "01-welkom.md").write_text(_render("module.md", id="welkom", title="Welkom", prefix="welkom"), "utf-8")
    return directory


def new_module(course: Path, name: str, title: str | None, part: str | None) -> Path:
    """Create a module file and add it to a part in course.yml."""
    config_path = Path(course) / "course.yml"
    if not config_path.is_file():
        raise CursusError(f"{config_path} not found; create a course first with 'cursus new course DIR'")
    name = slug(name)
    target = Path(course) / f"{name}.md"
    if target.exists() or (Path(course) / name).exists():
        raise CursusError(f"{target} already exists; not overwriting it")
    module_id = slug(re.sub(r"^\d+-", "", name))
    title = title or module_id.replace("-", " ").capitalize()
    text = config_path.read_text("utf-8-sig")
    config = yaml.safe_load(text)
    parts = config.get("parts") or []
    chosen = next((p for p in parts if p.get("id") == part), None) if part else (parts[-1] if parts else None)
    if chosen is None:
        raise CursusError(f"course.yml has no part '{part}'" if part else "course.yml has no parts")
    target.write_text(_render("module.md", id=module_id, title=title, prefix=module_id[:12]), "utf-8")
    config_path.write_text(_add_to_part(text, chosen["id"], name), "utf-8")
    return target


def _add_to_part(text: str, part_id: str, name: str) -> str:
    """Add *name* to a part's module list in course.yml, keeping the file's comments and layout."""
    lines = text.split("\n")
    in_part = False
    for index, line in enumerate(lines):
        if re.match(rf"^\s*-\s*id:\s*['\"]?{re.escape(part_id)}['\"]?\s*$", line):
            in_part = True
        elif in_part and re.match(r"^\s*modules:\s*\[.*\]\s*$", line):
            lines[index] = re.sub(r"\]\s*$", f", {name}]", line).replace("[, ", "[")
            return "\n".join(lines)
        elif in_part and re.match(r"^\s*modules:\s*$", line):
            indent = re.match(r"^(\s*)", lines[index + 1]).group(1) if index + 1 < len(lines) else "      "
            lines.insert(index + 1, f"{indent}- {name}")
            return "\n".join(lines)
    raise CursusError(f"could not find the module list of part '{part_id}' in course.yml; add '{name}' by hand")
