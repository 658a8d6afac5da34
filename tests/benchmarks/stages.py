"""One benchmark run in a fresh process: time and peak memory of each pipeline stage, as JSON on stdout.

    python -m tests.benchmarks.stages stages COURSE OUT [FORMAT ...]
    python -m tests.benchmarks.stages rebuild COURSE OUT RUNS
    python -m tests.benchmarks.stages capture COURSE OUT       # save the HTML handed to WeasyPrint
    python -m tests.benchmarks.stages volume COURSE OUT        # print the workbook's longest volume alone

Run by ``tests.benchmarks.run``; each call is its own process so peak memory belongs to it alone.
"""

from __future__ import annotations

import contextlib
import json
import resource
import sys
import time
import zipfile
from pathlib import Path

from cursus import render
from cursus.build import build, make_extras
from cursus.builders import FORMATS, BuildOptions, builder_class
from cursus.checks import check_course
from cursus.diagnostics import Diagnostics
from cursus.loader import load_course
from cursus.model import LEARNER, TRAINER, for_learners
from cursus.output import OutputTree


def available() -> list[str]:
    """Return the formats whose builder exists yet (the builders land one by one)."""
    names = []
    for name in FORMATS:
        try:
            builder_class(name)
        except (ImportError, AttributeError):
            continue
        names.append(name)
    return names


def peak_mb() -> float:
    """Return the peak resident memory of this process and its finished children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


class Clock:
    """Collect wall time and peak memory per named stage, plus time spent inside patched functions."""

    def __init__(self):
        self.stages: dict[str, dict] = {}
        self.inside: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        yield
        self.stages[name] = {"seconds": time.perf_counter() - start, "peak_mb": peak_mb()}

    def count(self, name: str, owner, attribute: str) -> None:
        """Add the time spent in ``owner.attribute`` to ``inside[name]`` (for stages inside others)."""
        original = getattr(owner, attribute)
        self.inside[name] = 0.0

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.inside[name] += time.perf_counter() - start

        setattr(owner, attribute, timed)


def stages(course_dir: Path, out_dir: Path, formats: list[str]) -> dict:
    """Run load, check and each format's builder once, timing each."""
    clock = Clock()
    clock.count("markdown", render.Renderer, "_convert")
    clock.count("zip", zipfile.ZipFile, "writestr")
    diagnostics = Diagnostics()
    with clock.stage("load"):
        loaded = load_course(course_dir, diagnostics)
    with clock.stage("check"):
        check_course(loaded, diagnostics)
    if diagnostics.errors:
        raise SystemExit("\n".join(map(str, diagnostics.errors[:5])))
    with clock.stage("learner view"):
        views = {TRAINER: loaded.course, LEARNER: for_learners(loaded.course)}
    zip_before, started, rendering = 0.0, {}, {}
    with OutputTree(out_dir) as tree:
        builders = [builder_class(name)(BuildOptions(), Diagnostics()) for name in formats]
        for builder in builders:
            started[builder.name] = time.perf_counter()
            with clock.stage(builder.name):
                builder.build(views[builder.audience], tree.folder(builder.folder, builder.merge))
                make_extras(builder, views[builder.audience], tree.folder(builder.folder, builder.merge))
                if getattr(builder, "zipping", None):
                    builder.zipping[2].result()  # a stage alone: its zip included, overlapping nothing
            futures = [future for _, _, future in getattr(builder, "pending", ())]
            if futures:
                rendering[builder.name] = futures  # one per volume of a long document
            clock.stages[builder.name]["zip_seconds"] = clock.inside["zip"] - zip_before
            zip_before = clock.inside["zip"]
        with clock.stage("finish (wait for PDFs)"):
            for builder in builders:
                if builder.name in rendering:
                    for future in rendering[builder.name]:
                        future.result()
                    clock.stages[builder.name]["seconds"] = time.perf_counter() - started[builder.name]
                builder.finish()
        for name in rendering:
            clock.stages[name]["peak_mb"] = peak_mb()
    clock.stages["markdown"] = {"seconds": clock.inside["markdown"], "peak_mb": clock.stages["load"]["peak_mb"]}
    clock.stages["zip"] = {"seconds": clock.inside["zip"], "peak_mb": 0.0}
    return {"stages": clock.stages, "modules": len(loaded.course.modules)}


def rebuild(course_dir: Path, out_dir: Path, formats: list[str], runs: int) -> dict:
    """Build once, then change one paragraph of one module and rebuild, *runs* times (as ``cursus serve``
    does). The module is put back and built again, unmeasured, so that every measured build sees one change."""
    options = BuildOptions()
    build(course_dir, out_dir, formats, options)
    files = sorted(p for p in course_dir.rglob("*.md"))
    seconds = []
    for run in range(runs):
        path = files[(run + 1) * len(files) // (runs + 1)]
        original = path.read_text("utf-8")
        changed = original.replace("\n## Wat je ziet in de praktijk\n\n", f"\n## Wat je ziet in de praktijk\n\nEen gewijzigde alinea, versie {run}.\n\n", 1)
        assert changed != original, path
        path.write_text(changed, "utf-8")
        try:
            start = time.perf_counter()
            build(course_dir, out_dir, formats, options)
            seconds.append(time.perf_counter() - start)
        finally:
            path.write_text(original, "utf-8")
        build(course_dir, out_dir, formats, options)
    return {"seconds": seconds, "peak_mb": peak_mb()}


def capture(course_dir: Path, out_dir: Path) -> dict:
    """Build the PDFs once and save every document handed to WeasyPrint, for the floor measurement."""
    from cursus import pdfrender
    from cursus.builders import pdf

    saved: list[dict] = []
    folder = out_dir / "weasyprint-input"
    folder.mkdir(parents=True, exist_ok=True)
    submit = pdf.submit

    def remember(job):
        path = folder / f"document-{len(saved) + 1}.html"
        path.write_text(job.html, "utf-8")
        saved.append({"html": str(path), "base_url": job.base_url, "stylesheets": list(job.stylesheets)})
        return submit(job)

    pdf.submit = remember
    build(course_dir, out_dir / "build", [name for name in ("workbook", "trainer") if name in available()], BuildOptions())
    return {"documents": saved}


def volume(course_dir: Path, out_dir: Path) -> dict:
    """Print the longest volume of the workbook alone; its worker's peak memory is this process's children's."""
    from pypdf import PdfReader

    from cursus.build import check
    from cursus.builders.pdf import WorkbookBuilder
    from cursus.pdfdoc import document, estimate_pages, volumes
    from cursus.templating import environment

    course = for_learners(check(course_dir).course)
    builder = WorkbookBuilder(BuildOptions(), Diagnostics())
    found = volumes(course, builder.page_limit)
    number, modules = max(found, key=lambda v: sum(estimate_pages(m) for m in v[1]))
    env = environment(course)
    start = time.perf_counter()
    with OutputTree(out_dir) as tree:
        builder._submit(course, env, document(course, env, course.title, modules, volume=number), tree.folder("pdf"), "volume.pdf")
        builder.finish()
        tree.commit()
    return {
        "volumes": len(found),
        "modules": len(modules),
        "estimate": round(sum(estimate_pages(m) for m in modules)),
        "pages": len(PdfReader(out_dir / "pdf" / "volume.pdf").pages),
        "seconds": time.perf_counter() - start,
        "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def main(argv: list[str]) -> None:
    mode, course_dir, out_dir = argv[0], Path(argv[1]), Path(argv[2])
    if mode == "stages":
        result = stages(course_dir, out_dir, argv[3:] or [name for name in FORMATS if name in available()])
    elif mode == "rebuild":
        result = rebuild(course_dir, out_dir, argv[4:], int(argv[3]))
    elif mode == "volume":
        result = volume(course_dir, out_dir)
    else:
        result = capture(course_dir, out_dir)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
