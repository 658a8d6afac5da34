"""Generate a synthetic course in the real source format: seeded, deterministic, every block type, images.

    python -m tests.benchmarks.generate 150 build/bench/course-150
"""

from __future__ import annotations

import math
import random
import shutil
import struct
import sys
import zlib
from pathlib import Path

WORDS = (
    "armoede gezin kind ouder school geld zorg werk buurt hulp gesprek vertrouwen signaal stress toeslag "
    "schuld budget huur rekening brief loket wijkteam coach jongere talent sport muziek vriend netwerk "
    "regeling aanvraag formulier afspraak ervaring schaamte veerkracht toekomst keuze kans drempel "
    "voorziening gemeente professional klantmanager leerkracht opvoeding spanning aandacht rust plan stap"
).split()
"""Dutch words the prose is drawn from; sentences are random, the structure is what counts."""


def sentence(rng: random.Random) -> str:
    """Return one sentence of 8 to 18 words."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int = 0) -> str:
    """Return a paragraph of a few sentences, with some inline emphasis."""
    text = " ".join(sentence(rng) for _ in range(sentences or rng.randint(3, 6)))
    word = rng.choice(WORDS)
    return text.replace(f" {word} ", f" **{word}** ", 1)


def bullets(rng: random.Random, count: int = 4, ordered: bool = False) -> str:
    """Return a Markdown list."""
    return "\n".join((f"{i + 1}. " if ordered else "- ") + sentence(rng) for i in range(count))


def png(width: int, height: int, seed: int) -> bytes:
    """Return a small valid RGB PNG of coloured bands (no dependency beyond zlib)."""
    rng = random.Random(seed)
    colours = [bytes(rng.randrange(256) for _ in range(3)) for _ in range(4)]
    rows = b"".join(b"\x00" + colours[(y * 4) // height] * width for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def module_text(number: int, module_id: str, part_id: str, previous: str | None, image: str | None, rng: random.Random) -> str:
    """Return the Markdown source of one module using every block type."""
    n = f"{number:04d}"
    goals = "\n".join(f"  - id: lg{g}\n    text: Je kunt {sentence(rng).lower()}" for g in (1, 2, 3))
    link = f"Lees eerst [de vorige module]({previous}). " if previous else ""
    picture = f"\n![Een schema met gekleurde banden bij module {number}]({image})\n" if image else ""
    return f"""---
id: {module_id}
title: Module {number} over {rng.choice(WORDS)} en {rng.choice(WORDS)}
part: {part_id}
duration: {rng.choice((30, 45, 60, 90))}
summary: {sentence(rng)}
goals:
{goals}
---

## Waar het om gaat

{link}{paragraph(rng)}

{paragraph(rng)}
{picture}
::: term Begrip {n} {rng.choice(WORDS)}
{paragraph(rng, 2)}
:::

{bullets(rng, 5)}

::: reflection {{#r-{n}-a goals=lg1 lines=5}}
{sentence(rng)} {sentence(rng)}

::: trainer
{bullets(rng, 3)}
:::
:::

## Wat je ziet in de praktijk

{paragraph(rng)}

| Signaal | Wat je doet |
|---|---|
| {rng.choice(WORDS)} | {sentence(rng)} |
| {rng.choice(WORDS)} | {sentence(rng)} |
| {rng.choice(WORDS)} | {sentence(rng)} |

::: case Het gezin {rng.choice(WORDS).capitalize()} {{#c-{n} goals=lg2}}
{paragraph(rng)}

::: reflection {{#r-{n}-b goals=lg2}}
{sentence(rng)}
:::

::: trainer
{paragraph(rng, 2)}
:::
:::

::: check {{#k-{n}-a goals=lg2}}
{sentence(rng)}

- [ ] {sentence(rng)}

    {sentence(rng)}

- [x] {sentence(rng)}

    {sentence(rng)}

- [ ] {sentence(rng)}

    {sentence(rng)}
:::

## Aan de slag

{paragraph(rng)}

::: exercise Oefening {n} {{#e-{n} goals="lg3" duration=30 group=4-6}}
{paragraph(rng, 2)}

::: materials
{bullets(rng, 3)}
:::

::: steps
{bullets(rng, 4, ordered=True)}
:::

::: debrief
{bullets(rng, 2)}
:::

::: sheet Rolkaarten {n} {{layout=cards}}
{sentence(rng)}

{bullets(rng, 4)}
:::

::: sheet Observatieformulier {n}
| {rng.choice(WORDS)} | {rng.choice(WORDS)} |
|---|---|
| {sentence(rng)} | |
| {sentence(rng)} | |
| {sentence(rng)} | |
:::

::: trainer
{paragraph(rng, 2)}
:::
:::

::: example Voorbeeld uit {rng.choice(WORDS)} {n}
{paragraph(rng)}
:::

::: check {{#k-{n}-b goals="lg1 lg3" mode=multiple}}
{sentence(rng)}

- [x] {sentence(rng)}

    {sentence(rng)}

- [x] {sentence(rng)}

    {sentence(rng)}

- [ ] {sentence(rng)}

    {sentence(rng)}
:::

{paragraph(rng)}

::: trainer Voor de trainer
{paragraph(rng, 2)}
:::

::: sources
- Auteur, A. ({2000 + number % 25}). *{sentence(rng)[:-1]}*. <https://example.org/bron/{n}>
- Onderzoek {n}. {sentence(rng)} <https://example.org/onderzoek/{n}>
:::
"""


def per_part(count: int) -> int:
    """Return how many modules one part holds: parts grow with the course, as in real courses."""
    return max(5, round(math.sqrt(count) * 1.25))


def generate(count: int, target: Path, seed: int = 7, image_every: int = 3) -> Path:
    """Write a course of *count* modules into *target* (replaced) and return it."""
    rng = random.Random(seed * 100_003 + count)
    target = Path(target)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    size = per_part(count)
    parts: list[tuple[str, list[str]]] = []
    previous = None
    for index in range(count):
        number = index + 1
        if index % size == 0:
            parts.append((f"deel-{len(parts) + 1:03d}", []))
        part_id, stems = parts[-1]
        stem, module_id = f"{number:04d}-{rng.choice(WORDS)}", f"module-{number:04d}"
        image = None
        if number % image_every == 1:
            folder = target / stem
            (folder / "media").mkdir(parents=True)
            (folder / "media" / "schema.png").write_bytes(png(240, 120, seed + number))
            path, image = folder / "index.md", "media/schema.png"
            link = f"../{previous}" if previous else None
        else:
            path, link = target / f"{stem}.md", previous
        path.write_text(module_text(number, module_id, part_id, link, image, rng), "utf-8")
        previous = f"{stem}.md" if path.name != "index.md" else f"{stem}/index.md"
        stems.append(stem)
    (target / "course.yml").write_text(course_yml(count, parts), "utf-8")
    return target


def course_yml(count: int, parts: list[tuple[str, list[str]]]) -> str:
    """Return the course.yml of the synthetic course."""
    lines = [
        f"id: benchmark-{count}",
        f"title: Benchmarkcursus met {count} modules",
        "subtitle: Synthetisch, maar in het echte bronformaat",
        "language: nl",
        "version: 1.0.0",
        "date: 2026-01-01",
        "authors: [cursus benchmark]",
        "license: CC BY-SA 4.0",
        "license_url: https://creativecommons.org/licenses/by-sa/4.0/deed.nl",
        "description: Een gegenereerde cursus om de snelheid van cursus te meten.",
        "keywords: [benchmark]",
        "audience: [ontwikkelaars]",
        f"study_load: {max(1, count // 2)}",
        "completion:",
        "  rule: pages-and-checks",
        "  mastery_score: 70",
        "schedule:",
        "  - title: Bijeenkomst 1",
        "    minutes: 180",
        "    modules: [module-0001]",
        "parts:",
    ]
    for number, (part_id, stems) in enumerate(parts, 1):
        lines += [f"  - id: {part_id}", f"    title: Deel {number}", f"    modules: [{', '.join(stems)}]"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(generate(int(sys.argv[1]), Path(sys.argv[2])))
