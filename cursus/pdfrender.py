"""Render HTML documents to PDF with WeasyPrint, in worker processes so several PDFs render at once."""

from __future__ import annotations

import atexit
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

WORKERS = 2
"""Two documents (workbook and trainer guide) render side by side."""

_pool: ProcessPoolExecutor | None = None


@dataclass(frozen=True)
class RenderJob:
    """One document to render: its HTML, where relative URLs resolve, its stylesheets and file id."""

    html: str
    base_url: str
    stylesheets: tuple[str, ...]
    identifier: bytes


def render(job: RenderJob) -> bytes:
    """Render one document to tagged PDF/UA bytes (runs in a worker process)."""
    from weasyprint import CSS, HTML

    return HTML(string=job.html, base_url=job.base_url).write_pdf(
        stylesheets=[CSS(filename=path) for path in job.stylesheets],
        pdf_variant="pdf/ua-1",
        pdf_identifier=job.identifier,
    )


def submit(job: RenderJob) -> Future:
    """Start rendering *job* in a worker process; the future's result is the PDF's bytes."""
    global _pool
    if _pool is None:
        # 'spawn': forking a process that runs threads (test runners, file watchers) can deadlock.
        _pool = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_pool.shutdown)
    return _pool.submit(render, job)
