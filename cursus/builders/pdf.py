"""PDF formats: the participant workbook and the trainer guide, rendered by WeasyPrint from shared partials."""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import Future
from functools import lru_cache
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit
from urllib.request import url2pathname

from cursus.builders import Builder
from cursus.cache import RenderCache
from cursus.model import LEARNER, TRAINER, Course
from cursus.output import OutputFolder
from cursus.pdfdoc import document, volumes
from cursus import pdfrender
from cursus.pdfrender import RenderJob, submit
from cursus.templating import environment, search_path


class PdfBuilder(Builder):
    """Render the course (or one module, as a handout) into a PDF in ``pdf/``, or into volumes when it is long."""

    folder = "pdf"
    merge = True
    background = True
    template: ClassVar[str] = ""
    """The document template in ``templates/pdf/``."""
    title_key: ClassVar[str] = ""
    """The UI string naming the document (Werkboek, Trainershandleiding)."""
    file_key: ClassVar[str] = ""
    """The UI string giving the file name, so an English course gets English names."""
    page_limit: ClassVar[int] = 600
    """Estimated pages above which the document is printed as one volume per part, so that no
    WeasyPrint process needs much more than a gigabyte (it holds every laid-out page at once)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending: list[tuple[OutputFolder, str, Future]] = []
        self.keys: dict[Future, str] = {}
        """The cache key of each pending document: a PDF printed from the same HTML, stylesheets and
        files by the same WeasyPrint is taken from the cache (``build/.cache/pages-<format>.pickle``)."""

    def prepare(self) -> None:
        """Start a PDF worker now, so that it imports WeasyPrint while the course loads."""
        pdfrender.prestart()

    def close(self) -> None:
        """End this builder's workers: a job still pending means the build failed, so it is cancelled."""
        pdfrender.release([future for _, _, future in self.pending])
        self.pending.clear()
        self.keys.clear()

    def build(self, course: Course, out: OutputFolder) -> None:
        """Lay out the document (in volumes when it is long) and start rendering; ``finish`` writes the PDFs."""
        env = environment(course)
        t = env.globals["t"]
        title = f"{course.title} — {t(self.title_key)}"
        module = self.options.module
        if module:
            doc = document(course, env, title, [course.module(module)], handout=True)
            self._submit(course, env, doc, out, t(self.file_key, course=f"{course.id}-{module}"))
            return
        name = t(self.file_key, course=course.id)
        split = volumes(course, self.page_limit)
        # Where each module is printed, for links between volumes ("zie Werkboek, deel 2").
        where = {m.id: t("pdf_see_volume", document=t(self.title_key), number=number) for number, modules in split if number for m in modules}
        for number, modules in split:
            if not number:
                self._submit(course, env, document(course, env, title, modules), out, name)
                continue
            doc = document(course, env, f"{title}, {t('pdf_volume', number=number)}", modules, volume=number, elsewhere=where)
            self._submit(course, env, doc, out, t("pdf_volume_file", name=name.removesuffix(".pdf"), number=number))

    def _submit(self, course: Course, env, doc, out: OutputFolder, name: str) -> None:
        """Render one document's HTML and hand it to a PDF worker."""
        html = env.get_template(self.template).render(doc=doc, medium="print")
        job = RenderJob(html, course.root.resolve().as_uri() + "/", self.stylesheets(course), _identifier(course, name))
        key = job_key(self.pages, job)
        printed = self.pages.get(key)
        if printed is None:
            future = submit(job)
        else:
            future = Future()
            future.set_result(printed)
        self.keys[future] = key
        self.pending.append((out, name, future))

    def finish(self) -> None:
        """Wait for the rendered PDF and write it; report what WeasyPrint warned about."""
        for out, name, future in self.pending:
            pdf, warnings = future.result()
            for message in warnings:
                self.diagnostics.warning(f"{self.folder}/{name}", 0, "pdf", message)
            out.write_bytes(name, pdf)
            key = self.keys.pop(future)
            if key not in self.pages.used:
                self.pages.put(key, (pdf, warnings))
        self.pending.clear()

    def stylesheets(self, course: Course) -> tuple[str, ...]:
        """Return the print stylesheets, each taken from the course's templates/ if it has its own."""
        names = ("pdf/print.css", f"pdf/{self.name}.css")
        return tuple(str(_first(course, name)) for name in names)


class WorkbookBuilder(PdfBuilder):
    """The participant workbook: learner view, writing space, answer key at the back."""

    name = "workbook"
    audience = LEARNER
    start = 1
    template = "pdf/workbook.html"
    title_key = "pdf_workbook"
    file_key = "pdf_workbook_file"


class TrainerGuideBuilder(PdfBuilder):
    """The trainer guide: the full course with session plans, facilitator notes and answer keys."""

    name = "trainer"
    audience = TRAINER
    template = "pdf/trainer.html"
    title_key = "pdf_trainer_guide"
    file_key = "pdf_trainer_file"


def _first(course: Course, name: str):
    """Return the first file called *name* on the template search path."""
    return next(folder / name for folder in search_path(course) if (folder / name).is_file())


def _identifier(course: Course, name: str) -> str:
    """Return a PDF file identifier that is the same for every build of the same release."""
    return hashlib.md5(f"{course.id}/{course.version}/{name}".encode()).hexdigest()


FILE_URL = re.compile(r'\b(?:src|href)="(file://[^"]+)"')
"""A file the HTML handed to WeasyPrint uses (the course's images)."""
PRINTING = ("weasyprint", "pydyf", "fonttools", "pillow", "tinycss2", "cssselect2", "pyphen", "tinyhtml5", "html5lib")
"""WeasyPrint and the packages it prints with: a new version of any may change the PDF's bytes."""


def job_key(cache: RenderCache, job: RenderJob) -> str:
    """Return the cache key of a document: its HTML, base URL and file id, the bytes of its
    stylesheets and of every file it uses, and the versions of what prints it. (The system's fonts
    are not in it: after installing or removing fonts, delete ``build/.cache``.)"""
    files = [Path(path) for path in job.stylesheets]
    files += [Path(url2pathname(urlsplit(url).path)) for url in sorted(set(FILE_URL.findall(job.html)))]
    return cache.key("pdf", _printer(), job.html, job.base_url, job.identifier, *(f"{path}\0{_digest(path)}" for path in files))


def _digest(path: Path) -> str:
    """Return the hash of a file's bytes ('missing' when it cannot be read)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


@lru_cache(maxsize=1)
def _printer() -> str:
    """Return the versions of WeasyPrint and its printing packages, and the hash of cursus's PDF worker."""
    import importlib.metadata  # only when printing: it costs a start-up 20 ms

    versions = []
    for name in PRINTING:
        try:
            versions.append(f"{name}={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return ";".join(versions) + ";" + hashlib.sha256(Path(pdfrender.__file__).read_bytes()).hexdigest()
