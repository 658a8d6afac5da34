"""Render HTML documents to PDF with WeasyPrint, each in its own process so several PDFs render at once.

A worker is ``python -m cursus.pdfrender`` reading one job as JSON on stdin and writing the PDF to
stdout. Plain subprocesses rather than multiprocessing: no re-import of the caller's main module
(which breaks scripts without a ``__main__`` guard) and no fork of a process that runs threads.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

WORKERS = 2
"""Two documents (workbook and trainer guide) render side by side."""

_threads = ThreadPoolExecutor(WORKERS, thread_name_prefix="cursus-pdf")


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


def submit(job: RenderJob) -> Future:
    """Start rendering *job* in a worker process; the future's result is (PDF bytes, warnings)."""
    return _threads.submit(_run_worker, job)


def _run_worker(job: RenderJob) -> tuple[bytes, list[str]]:
    """Run one worker process for *job*; return the PDF and WeasyPrint's warnings."""
    package_parent = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")]))}
    result = subprocess.run(
        [sys.executable, "-m", "cursus.pdfrender"],
        input=json.dumps(dataclasses.asdict(job)).encode(),
        capture_output=True,
        env=env,
    )
    if result.returncode:
        raise RuntimeError(f"rendering a PDF failed:\n{result.stderr.decode(errors='replace')}")
    return result.stdout, [line for line in result.stderr.decode(errors="replace").splitlines() if line.strip()]


def _main() -> None:
    """Read one job from stdin, write its PDF to stdout and WeasyPrint's warnings to stderr."""
    logging.basicConfig(format="%(message)s", level=logging.WARNING)
    fields = json.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(render(RenderJob(**{**fields, "stylesheets": tuple(fields["stylesheets"])})))


if __name__ == "__main__":
    _main()
