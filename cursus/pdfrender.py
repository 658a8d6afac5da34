"""Render HTML documents to PDF with WeasyPrint, each in its own process so several PDFs render at once.

A worker is ``python -m cursus.pdfrender`` reading one job as JSON on stdin and writing the PDF to
stdout. Plain subprocesses rather than multiprocessing: no re-import of the caller's main module
(which breaks scripts without a ``__main__`` guard) and no fork of a process that runs threads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import io
import json
import logging
import os
import subprocess
import sys
import types
import zlib
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

WORKERS = 2
"""Two documents (workbook and trainer guide) render side by side."""

_threads: ThreadPoolExecutor | None = None
"""Threads that wait for the worker processes; made by ``submit``, ended by ``release`` once no job
is left, so that a process that printed PDFs has no threads left over (and may fork again)."""
_running: dict[Future, subprocess.Popen] = {}
"""The worker process of each job not finished yet."""


@dataclass(frozen=True)
class RenderJob:
    """One document to render: its HTML, where relative URLs resolve, its stylesheets and file id."""

    html: str
    base_url: str
    stylesheets: tuple[str, ...]
    identifier: str


def render(job: RenderJob) -> bytes:
    """Render one document to tagged PDF/UA bytes (in a worker process)."""
    from weasyprint import CSS, HTML

    return HTML(string=job.html, base_url=job.base_url).write_pdf(
        stylesheets=[CSS(filename=path) for path in job.stylesheets],
        pdf_variant="pdf/ua-1",
        pdf_identifier=job.identifier.encode(),
    )


_spare: list[subprocess.Popen] = []
"""Worker processes started ahead of their job: they import WeasyPrint (most of a second) while the course loads."""


def prestart() -> None:
    """Start a worker process now; the next ``submit`` hands it its job."""
    _spare.append(_start())


def release(cancelled: list[Future] = ()) -> None:
    """End the workers that were started ahead but got no job, and those rendering a *cancelled*
    job (the build failed: it must stop now, not when the PDFs are done); once no job is left, end
    the threads too."""
    global _threads
    for future in cancelled:
        process = _running.get(future)
        if process is not None and process.poll() is None:
            process.kill()
    wait(cancelled)
    while _spare:
        process = _spare.pop()
        process.kill()
        process.communicate()
    for future in [future for future in _running if future.done()]:
        _running.pop(future, None)
    if _threads is not None and not _running:
        _threads.shutdown(wait=True)
        _threads = None


def submit(job: RenderJob) -> Future:
    """Start rendering *job* in a worker process; the future's result is (PDF bytes, warnings)."""
    global _threads
    process = _spare.pop(0) if _spare else _start()
    if _threads is None:
        _threads = ThreadPoolExecutor(WORKERS, thread_name_prefix="cursus-pdf")
    future = _threads.submit(_finish, process, job)
    _running[future] = process
    future.add_done_callback(lambda done: _running.pop(done, None))
    return future


def _start() -> subprocess.Popen:
    """Start a worker process; it waits for its job on stdin."""
    package_parent = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen(
        [sys.executable, "-m", "cursus.pdfrender"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )


def _finish(process: subprocess.Popen, job: RenderJob) -> tuple[bytes, list[str]]:
    """Hand a worker its job; return the PDF and WeasyPrint's warnings."""
    # Length first: a forked process may hold a copy of the pipe, so the worker cannot wait for its end.
    payload = json.dumps(dataclasses.asdict(job)).encode()
    pdf, errors = process.communicate(len(payload).to_bytes(8, "big") + payload)
    if process.returncode:
        raise RuntimeError(f"rendering a PDF failed:\n{errors.decode(errors='replace')}")
    return pdf, [line for line in errors.decode(errors="replace").splitlines() if line.strip()]


def _keep_page_references() -> None:
    """Make pydyf build its tuple of page references once per page count instead of once per use.

    WeasyPrint's PDF/UA tagging reads ``pdf.page_references[n]`` for every tagged element, and
    pydyf (0.13) builds the tuple of all pages on each read, so tagging grows with elements x pages:
    7,867 tuples of 109 references for the 109-page benchmark workbook, and both factors grow
    with a volume's length. Same references, same bytes. Done in the worker process only, which
    renders nothing but our documents.
    """
    import pydyf

    found = getattr(pydyf.PDF, "page_references", None)
    if not isinstance(found, property):  # another pydyf: leave it as it is
        return
    build = found.fget

    def page_references(pdf):
        count = len(pdf.pages["Kids"])
        kept = pdf.__dict__.get("_cursus_page_references")
        if kept is None or kept[0] != count:
            kept = pdf.__dict__["_cursus_page_references"] = (count, build(pdf))
        return kept[1]

    pydyf.PDF.page_references = property(page_references)


def _compress_at_zlibs_default() -> None:
    """Make pydyf compress the PDF's streams at zlib's default level (6) instead of its highest (9).

    pydyf (0.13) compresses every page's drawing and every font at level 9. For the 109-page
    benchmark workbook that took 165 ms of the worker's CPU; level 6 takes 41 ms and makes the
    compressed streams 3 % larger (378 instead of 367 KB). The PDF reads and looks the same.
    Done in the worker process only; a pydyf that does not compress through ``zlib`` is left alone.
    """
    import pydyf

    if getattr(pydyf, "zlib", None) is not zlib:
        return

    def compressobj(level: int = zlib.Z_DEFAULT_COMPRESSION, *args, **kwargs):
        return zlib.compressobj(min(level, 6), *args, **kwargs)

    pydyf.zlib = types.SimpleNamespace(compress=zlib.compress, compressobj=compressobj)


def _lay_out_page_numbers_once() -> None:
    """Lay out a page that prints another page's number once or twice, not three times.

    The contents (pointing forward) and the answer key (pointing back at each check) print page
    numbers with ``target-counter(attr(href url), page)``. WeasyPrint (70) laid out every page that
    holds one three times, for three reasons, each mended here:

    - It names the target of an ``attr()`` token before resolving the attribute, so the number is
      filed under no target. ``lookup_target`` resolves the same token just before, so its name is
      taken from there.
    - The list of counters a box lacks itself is the list its target lacks (one variable used for
      both), so the target's page number counts as the box's own page counter, which changes from
      one pass to the next. The box's own list gets back only the counters its content names.
    - A number pointing back is built as "0" before pagination and filled in only after its page
      was laid out, which is then laid out again; yet its target's page is known before. It is now
      filled in as soon as the target's page is known, unless the content also shows counters of
      its own page (then WeasyPrint's own way stands).

    A number pointing forward still needs its page laid out twice. 109-page benchmark workbook:
    123 page layouts -> 110, about 13 % less layout CPU; the PDFs are the same bytes (compared for
    the shipped, mini and benchmark courses, and in a test). Done in the worker process only; a
    WeasyPrint whose internals differ is left as it is.
    """
    from weasyprint.css import targets

    collector = targets.TargetCollector
    name_of = getattr(targets, "anchor_name_from_token", None)
    if name_of is None or not all(hasattr(collector, name) for name in ("lookup_target", "collect_missing_counters", "cache_target_page_counters")):
        return
    named = [None]

    def anchor_name_from_token(token):
        if token[0] == "attr()":  # resolved and named by lookup_target just before
            return named[0]
        named[0] = name_of(token)
        return named[0]

    collect = collector.collect_missing_counters

    def collect_missing_counters(self, parent_box, css_token, parse_again, missing, missing_targets):
        content = parent_box.style["content"] if css_token == "content" else None
        if isinstance(content, (list, tuple)) and any(missing is wanted for wanted in missing_targets.values()):
            missing = [value[0] for kind, value in content if kind in ("counter()", "counters()")]
        collect(self, parent_box, css_token, parse_again, missing, missing_targets)

    cache = collector.cache_target_page_counters

    def cache_target_page_counters(self, anchor_name, page_counter_values, page_maker_index, page_maker):
        cache(self, anchor_name, page_counter_values, page_maker_index, page_maker)
        if self.collecting:
            return
        for item in self.counter_lookup_items.values():
            if item.pending and not item.missing_counters and anchor_name in item.missing_target_counters:
                item.parse_again(None)
                item.pending = False

    targets.anchor_name_from_token = anchor_name_from_token
    collector.collect_missing_counters = collect_missing_counters
    collector.cache_target_page_counters = cache_target_page_counters


def _import_weasyprint() -> None:
    """Import WeasyPrint without asking the system's linker where each of its libraries is.

    WeasyPrint opens each library (GObject, Pango, HarfBuzz, Fontconfig) by trying the names it has
    on each platform in turn; cffi sends every name it cannot open to ``ctypes.util.find_library``,
    which on Linux runs ldconfig, gcc and ld: 22 lookups, 0.3 s of a worker's start, most of it in
    other programs. On Linux that lookup only ever yields a library's soname, and WeasyPrint's list
    holds the soname of each library too, which opens directly; so the lookups are skipped while
    WeasyPrint is imported. Should the import fail that way, it is done again the usual way.
    """
    import ctypes.util

    if not sys.platform.startswith("linux"):
        import weasyprint  # noqa: F401
        return
    find = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        # WeasyPrint prints its advice on stdout before it gives up, and stdout carries the PDF.
        with contextlib.redirect_stdout(io.StringIO()):
            import weasyprint  # noqa: F401
    except OSError:
        ctypes.util.find_library = find
        for name in [name for name in sys.modules if name.partition(".")[0] == "weasyprint"]:
            del sys.modules[name]  # what the failed import left half done
        import weasyprint  # noqa: F401,F811
    finally:
        ctypes.util.find_library = find


def prepare_worker() -> None:
    """Make this process a PDF worker: import WeasyPrint, mend what costs it time, garbage collector off.

    The worker renders one document and ends, so it leaves Python's cyclic garbage collector off:
    each full collection walks every box laid out so far, which made layout grow faster than the
    page count. Measured on the longest volume of the 1,500-module benchmark (321 pages): 39 s ->
    33 s, peak memory 358 -> 399 MB (a volume is limited to ``PdfBuilder.page_limit`` pages, so
    memory stays well inside the 1.5 GB a WeasyPrint process may use). The benchmark times layout
    in a process prepared the same way.
    """
    _import_weasyprint()  # before the job arrives: that is what starting ahead is for
    _keep_page_references()
    _lay_out_page_numbers_once()
    _compress_at_zlibs_default()
    gc.disable()


def _main() -> None:
    """Prepare, then read one job from stdin; write its PDF to stdout and WeasyPrint's warnings to stderr."""
    prepare_worker()
    logging.basicConfig(format="%(message)s", level=logging.WARNING)
    header = sys.stdin.buffer.read(8)
    if len(header) < 8:
        return
    fields = json.loads(sys.stdin.buffer.read(int.from_bytes(header, "big")))
    sys.stdout.buffer.write(render(RenderJob(**{**fields, "stylesheets": tuple(fields["stylesheets"])})))


if __name__ == "__main__":
    _main()
