"""Measure what each build stage costs, compare with WeasyPrint alone and mkdocs, and print the table.

    python -m tests.benchmarks [--runs 3] [--sizes 15,150] [--large] [--pdf-large] [--no-mkdocs]

Every figure is the median of several runs, each in a fresh process (peak memory is that process's
own, PDF worker processes included). Ratios are measured in one run on one machine, so they hold
on a noisy shared machine where absolute times do not.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import zipfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.benchmarks.generate import generate

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "build" / "bench"
CHEAP_RUNS = 9
"""Rounds at least for a course whose contestants all take seconds (web, SCORM and mkdocs only)."""
VENV = ROOT / "build" / "bench-venv"
PYTHON = VENV / "bin" / "python"
"""The Python every measured command runs with (see ``ensure_venv``)."""
SHIPPED = ROOT / "modules"
WEB_SCORM = ["web", "scorm12", "scorm2004"]
PDF = ["workbook", "trainer"]
STAGES = ["load", "markdown", "check", "learner view", "web", "scorm12", "scorm2004", "zip", "workbook", "trainer"]
IN_LOAD = {"markdown": "load", "zip": "scorm"}
"""Stages measured inside another one (their time is part of it, not added to it)."""


@dataclass
class Run:
    """One measured child process."""

    seconds: float
    peak_mb: float
    cpu: float
    """User plus system time of the process and its children."""
    stdout: str = ""


def measured(command: list, cwd: Path = ROOT) -> Run:
    """Run a command; return its wall time, its own peak memory (children included, via wait4) and CPU time."""
    start = time.perf_counter()
    process = subprocess.Popen([str(c) for c in command], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.stdout.read(), process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(map(str, command))}\n{err.decode()[-3000:]}")
    return Run(seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, out.decode())


def parallel(commands: list[list], cwd: Path = ROOT) -> Run:
    """Run commands at the same time; return the wall time until all finish and the largest peak."""
    start = time.perf_counter()
    processes = [subprocess.Popen([str(c) for c in cmd], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for cmd in commands]
    peaks, cpu, outs = [], 0.0, []
    for process in processes:
        out = process.stdout.read()
        process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise SystemExit(f"failed: {process.args}")
        peaks.append(usage.ru_maxrss / 1024)
        cpu += usage.ru_utime + usage.ru_stime
        outs.append(out.decode().strip())
    return Run(time.perf_counter() - start, max(peaks), cpu, "\n".join(outs))


def median(runs: list[Run]) -> Run:
    """Return the median run by wall time (peak memory: the largest seen)."""
    middle = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
    return Run(middle.seconds, max(r.peak_mb for r in runs), middle.cpu, middle.stdout)


def cursus_build(course: Path, out: Path, formats: list[str]) -> list:
    """Return the command line of a ``cursus build`` of some formats."""
    command = [PYTHON, "-m", "cursus", "build", course, "--out", out, "--quiet"]
    for name in formats:
        command += ["--format", name]
    return command


def fresh(path: Path):
    """Return a *prepare* function that removes *path* (so every build starts from nothing)."""
    return lambda index: shutil.rmtree(path, ignore_errors=True)


def pdf_pages(folder: Path) -> int:
    """Return the number of pages of every PDF below *folder*."""
    from pypdf import PdfReader

    return sum(len(PdfReader(path).pages) for path in sorted(folder.rglob("*.pdf")))


# --- the measurements ------------------------------------------------------------------------


def stage_table(course: Path, formats: list[str], runs: int) -> dict:
    """Return the median time and the peak memory of each stage for one course."""
    samples: dict[str, list[dict]] = {}
    for index in range(runs):
        out = BENCH / "out" / f"stages-{course.name}"
        shutil.rmtree(out, ignore_errors=True)
        run = measured([PYTHON, "-m", "tests.benchmarks.stages", "stages", course, out, *formats])
        for name, figures in json.loads(run.stdout)["stages"].items():
            samples.setdefault(name, []).append(figures)
    return {
        name: {"seconds": statistics.median(f["seconds"] for f in found), "peak_mb": max(f["peak_mb"] for f in found)}
        for name, found in samples.items()
    }


LAYOUTS = ("layout_cursus", "layout_designed", "layout_unstyled", "layout_text")
"""The workbook's four layouts timed inside their process (see ``layout_contestants``)."""


def layout_contestants(course: Path) -> dict:
    """Return (command, prepare) for laying out the workbook four ways, each timed inside its process
    (layout alone): in a process prepared as cursus's PDF worker ("cursus"); with WeasyPrint alone,
    as cursus hands it over ("designed"), without its print stylesheets ("unstyled"), and its words
    as plain paragraphs ("text": the issue's plain-text floor)."""
    saved = json.loads((BENCH / "out" / f"capture-{course.name}" / "documents.json").read_text("utf-8"))
    workbook = next((d for d in saved if d["stylesheets"][-1].endswith("workbook.css")), None)
    if workbook is None:
        return {}
    floor, doc, base = [PYTHON, "-m", "tests.benchmarks.floor"], workbook["html"], workbook["base_url"]
    commands = (
        [*floor, "--worker", doc, base, f"{doc}.cursus.pdf", *workbook["stylesheets"]],
        [*floor, "--layout", doc, base, f"{doc}.designed.pdf", *workbook["stylesheets"]],
        [*floor, "--layout", doc, base, f"{doc}.unstyled.pdf"],
        [*floor, "--text", doc, f"{doc}.text.pdf"],
    )
    return {name: ((lambda command=command: command), None) for name, command in zip(LAYOUTS, commands)}


def layout_figures(entry: dict) -> None:
    """Replace each layout contestant's process figures by the pages and the median layout CPU it printed."""
    for name in LAYOUTS:
        if name in entry:
            printed = [output.split() for output in entry[name]["outputs"]]
            entry[name] = {"pages": int(printed[0][0]), "cpu": statistics.median(float(cpu) for _, cpu in printed)}


def rebuild(course: Path, runs: int) -> dict:
    """Rebuild web and both SCORM packages after changing one paragraph, in the process that built them."""
    copy = BENCH / f"rebuild-{course.name}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(course, copy)
    out = BENCH / "out" / f"rebuild-{course.name}"
    shutil.rmtree(out, ignore_errors=True)
    run = measured([PYTHON, "-m", "tests.benchmarks.stages", "rebuild", copy, out, runs, *WEB_SCORM])
    result = json.loads(run.stdout)
    return {"seconds": statistics.median(result["seconds"]), "peak_mb": result["peak_mb"]}


def longest_volume(course: Path) -> dict:
    """Print the longest volume of a course's workbook alone, as its own WeasyPrint process would."""
    out = BENCH / "out" / f"volume-{course.name}"
    shutil.rmtree(out, ignore_errors=True)
    return json.loads(measured([PYTHON, "-m", "tests.benchmarks.stages", "volume", course, out]).stdout)


def ensure_venv() -> None:
    """Create the benchmark's own virtualenv if needed, with cursus (this checkout, editable),
    mkdocs and pypdf (to count pages); mkdocs never becomes a dependency of cursus. Every measured
    command runs with its Python, so both tools start the same interpreter with the same site
    packages. (This machine's global Python imports a certificate hook and an editable-install
    finder at every start, 50 ms a process that mkdocs, in its own virtualenv, never paid.)"""
    ready = VENV / ".cursus-mkdocs-pypdf"
    if not ready.exists():
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([VENV / "bin" / "pip", "install", "-q", "--disable-pip-version-check", "-e", ROOT, "mkdocs", "pypdf"], check=True)
        ready.touch()


def mkdocs_project(course: Path) -> Path:
    """Write an mkdocs project holding the same Markdown bodies (front matter dropped) and media."""
    project = BENCH / f"mkdocs-{course.name}"
    shutil.rmtree(project, ignore_errors=True)
    docs = project / "docs"
    shutil.copytree(course, docs, ignore=shutil.ignore_patterns("course.yml", "templates"))
    for path in docs.rglob("*.md"):
        text = path.read_text("utf-8")
        title = re.search(r"^title:\s*(.*)$", text, re.M)
        body = text.split("\n---\n", 1)[1] if text.startswith("---\n") else text
        path.write_text(f"# {title.group(1) if title else path.stem}\n{body}", "utf-8")
    (docs / "index.md").write_text("# Benchmark\n", "utf-8")
    (project / "mkdocs.yml").write_text(
        "site_name: Benchmark\nmarkdown_extensions: [tables, attr_list, def_list, sane_lists, abbr, toc]\n"
        "validation: {links: {not_found: ignore, anchors: ignore, unrecognized_links: ignore}, nav: {omitted_files: ignore}}\n",
        "utf-8",
    )
    return project


def learner_weight(web: Path) -> dict:
    """Return the largest JS plus CSS a page of the built site loads (bytes, before compression)."""
    import lxml.html

    heaviest, name = 0, ""
    for page in sorted(web.glob("*.html")):
        tree = lxml.html.parse(str(page))
        total = sum(len((node.text or "").encode()) for node in tree.xpath("//script[not(@src)] | //style"))
        for ref in tree.xpath("//script/@src | //link[@rel='stylesheet']/@href"):
            target = page.parent / ref.split("?")[0]
            total += target.stat().st_size if target.is_file() else 0
        if total > heaviest:
            heaviest, name = total, page.name
    return {"bytes": heaviest, "page": name}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--sizes", default="15,150", help="synthetic course sizes in modules")
    parser.add_argument("--large", action="store_true", help="add the 1,500-module course (web and SCORM)")
    parser.add_argument("--pdf-large", action="store_true", help="also build the PDFs of courses above 15 modules")
    parser.add_argument("--no-mkdocs", action="store_true", help="skip the mkdocs comparison")
    parser.add_argument("--json", type=Path, default=BENCH / "results.json", help="where to save the raw figures")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] + ([1500] if args.large else [])
    results = measure_all(sizes, args)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str), "utf-8")
    print(report(results))


def measure_all(sizes: list[int], args) -> dict:
    """Take every measurement and return the raw figures."""
    from tests.benchmarks.stages import available

    ensure_venv()
    formats = available()
    # cursus's modules as bytecode, as pip leaves an installed package (and mkdocs in its venv): a
    # machine that sets PYTHONDONTWRITEBYTECODE would otherwise compile them in every measured run.
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "cursus")], check=True)
    courses = {"shipped": SHIPPED} | {str(n): generate(n, BENCH / f"course-{n}") for n in sizes}
    results: dict = {"cores": os.cpu_count(), "formats": formats, "runs": args.runs, "cheap_runs": max(args.runs, CHEAP_RUNS), "courses": {}}
    for label, course in courses.items():
        log(f"course {label}")
        with_pdf = all(f in formats for f in PDF) and (label in ("shipped", "15") or args.pdf_large)
        modules = sum(1 for _ in course.glob("*.md")) + sum(1 for _ in course.glob("*/index.md"))
        # Whole builds of a course without PDFs take a second or two, and on a shared machine one round
        # moves by a fifth either way: such a course gets at least CHEAP_RUNS rounds.
        runs = 1 if modules >= 1000 else args.runs if with_pdf else max(args.runs, CHEAP_RUNS)
        entry = results["courses"][label] = {"modules": modules}
        # The PDFs' own cost is measured again (and compared) by the whole builds below: one stage run is enough.
        entry["stages"] = stage_table(course, WEB_SCORM + (PDF if with_pdf else []), 1 if with_pdf else runs)
        if with_pdf:
            pdf_capture(course)
        contestants = {"web_scorm": build_contestant(course, WEB_SCORM, "webscorm")}
        if with_pdf:
            contestants |= {"full": build_contestant(course, WEB_SCORM + PDF, "all"),
                            "workbook": build_contestant(course, ["workbook"], "workbook"),
                            "floor": (lambda c=course: floor_commands(c), None)} | layout_contestants(course)
        if label != "shipped" and not args.no_mkdocs and modules < 1000:
            contestants["mkdocs"] = mkdocs_contestant(course)
        log(f"  {', '.join(contestants)} (interleaved, {runs} runs)")
        entry.update(interleaved(contestants, runs))
        if with_pdf:
            entry["floor"]["pages"] = sum(int(n) for n in entry["floor"]["stdout"].split())
            entry["workbook"]["pages"] = pdf_pages(BENCH / "out" / f"workbook-{course.name}")
            layout_figures(entry)
        if label == "shipped":
            entry.update(learner_side(course, formats))
        if label == "150":
            log("  rebuild")
            entry["rebuild"] = rebuild(course, max(5, args.runs))
        if label == "1500" and all(f in formats for f in PDF):
            log("  the workbook's longest volume")
            entry["volume"] = longest_volume(course)
    return results


def build_contestant(course: Path, formats: list[str], label: str):
    """Return (command, prepare) for a ``cursus build`` into an emptied folder."""
    out = BENCH / "out" / f"{label}-{course.name}"
    return (lambda: cursus_build(course, out, formats)), fresh(out)


def interleaved(contestants: dict, runs: int) -> dict:
    """Run every contestant once per round, *runs* rounds, so each sees the same load; return medians."""
    seen: dict[str, list[Run]] = {name: [] for name in contestants}
    for _ in range(runs):
        for name, (command, prepare) in contestants.items():
            if prepare:
                prepare(0)
            made = command()
            seen[name].append(parallel(made) if made and isinstance(made[0], list) else measured(made))
    return {name: vars(median(found)) | {"outputs": [r.stdout for r in found]} for name, found in seen.items()}


def pdf_capture(course: Path) -> None:
    """Save the HTML cursus hands WeasyPrint (the floor and the layout contestants lay it out)."""
    log("  capture the HTML handed to WeasyPrint")
    out = BENCH / "out" / f"capture-{course.name}"
    shutil.rmtree(out, ignore_errors=True)
    saved = json.loads(measured([PYTHON, "-m", "tests.benchmarks.stages", "capture", course, out]).stdout)["documents"]
    (out / "documents.json").write_text(json.dumps(saved), "utf-8")


def floor_commands(course: Path) -> list[list]:
    """Return one WeasyPrint-alone command per saved document (they run in parallel)."""
    saved = json.loads((BENCH / "out" / f"capture-{course.name}" / "documents.json").read_text("utf-8"))
    return [[PYTHON, "-m", "tests.benchmarks.floor", d["html"], d["base_url"], f"{d['html']}.pdf", *d["stylesheets"]] for d in saved]


def mkdocs_contestant(course: Path):
    """Return (command, prepare) for ``mkdocs build`` of the course's Markdown bodies."""
    mkdocs, project = VENV / "bin" / "mkdocs", mkdocs_project(course)
    return (lambda: [mkdocs, "build", "--quiet", "--clean", "-f", project / "mkdocs.yml", "-d", project / "site"]), None


def learner_side(course: Path, formats: list[str]) -> dict:
    """Measure what a learner downloads: script and style per page, the SCORM zip."""
    out = BENCH / "out" / "learner"
    shutil.rmtree(out, ignore_errors=True)
    measured(cursus_build(course, out, [f for f in WEB_SCORM if f in formats]))
    zips = sorted(out.rglob("*.zip"))
    # A SCO's page loads the SCORM runtime besides the website's script and style: the packages count too.
    sites = {"web": out / "web"} if (out / "web").is_dir() else {}
    for package in zips:
        unpacked = out / "unpacked" / package.parent.name
        with zipfile.ZipFile(package) as archive:
            archive.extractall(unpacked)
        sites[package.parent.name] = unpacked
    weights = [(learner_weight(folder), name) for name, folder in sites.items()]
    weights = [{"bytes": weight["bytes"], "page": f"{name}/{weight['page']}"} for weight, name in weights]
    return {
        "learner_js_css": max(weights, key=lambda w: w["bytes"], default=None),
        "scorm_zip_bytes": max((p.stat().st_size for p in zips), default=None),
    }


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def report(results: dict) -> str:
    """Return the whole report as Markdown."""
    from tests.benchmarks.report import render

    return render(results)


if __name__ == "__main__":
    main()
