"""WeasyPrint alone: lay out one saved HTML document into a PDF, the floor any PDF build is compared to.

    python -m tests.benchmarks.floor DOCUMENT.html BASE_URL OUT.pdf [STYLESHEET ...]
    python -m tests.benchmarks.floor --layout DOCUMENT.html BASE_URL OUT.pdf [STYLESHEET ...]
    python -m tests.benchmarks.floor --text DOCUMENT.html OUT.pdf
    python -m tests.benchmarks.floor --worker DOCUMENT.html BASE_URL OUT.pdf [STYLESHEET ...]

The first makes the same WeasyPrint call cursus makes (same stylesheets, tagged PDF/UA), nothing
else, and prints the number of pages. The second makes that call too but also prints the CPU
seconds of the layout alone (reading the document and importing WeasyPrint not counted). The third
is the issue's plain-text floor: the document's own words as plain paragraphs (about 80 words each,
WeasyPrint's default style, still tagged), timed the same way, so its pages per CPU-second say how
fast this machine lays out plain text. These three run with Python's defaults (the garbage collector
on), as WeasyPrint does for anyone. The fourth is the second in a process prepared as cursus's PDF
worker prepares itself (``cursus.pdfrender.prepare_worker``: its mends of WeasyPrint and pydyf, the
garbage collector off): the layout cursus itself does.
"""

from __future__ import annotations

import html
import sys
import time

from weasyprint import CSS, HTML

WORDS_PER_PARAGRAPH = 80


def lay_out(source: str, base_url: str | None, out: str, stylesheets: tuple[str, ...]) -> tuple[int, float]:
    """Render *source* to *out* as tagged PDF/UA; return its pages and the CPU seconds it took."""
    start = time.process_time()
    laid_out = HTML(string=source, base_url=base_url).render(stylesheets=[CSS(filename=s) for s in stylesheets], pdf_variant="pdf/ua-1")
    laid_out.write_pdf(out, pdf_variant="pdf/ua-1")
    return len(laid_out.pages), time.process_time() - start


def read(document: str) -> str:
    with open(document, encoding="utf-8") as handle:
        return handle.read()


def plain_text(document: str) -> str:
    """Return the document's words as plain paragraphs."""
    import lxml.html

    words = lxml.html.fromstring(read(document)).text_content().split()
    paragraphs = (" ".join(words[i : i + WORDS_PER_PARAGRAPH]) for i in range(0, len(words), WORDS_PER_PARAGRAPH))
    return '<html lang="nl"><title>plain</title><body>' + "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs) + "</body></html>"


def main(argv: list[str]) -> None:
    if argv[0] == "--text":
        print(*lay_out(plain_text(argv[1]), None, argv[2], ()))
    elif argv[0] == "--worker":
        from cursus.pdfrender import prepare_worker

        prepare_worker()
        print(*lay_out(read(argv[1]), argv[2], argv[3], tuple(argv[4:])))
    elif argv[0] == "--layout":
        print(*lay_out(read(argv[1]), argv[2], argv[3], tuple(argv[4:])))
    else:
        print(lay_out(read(argv[0]), argv[1], argv[2], tuple(argv[3:]))[0])


if __name__ == "__main__":
    main(sys.argv[1:])
