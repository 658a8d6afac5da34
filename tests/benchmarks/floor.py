"""WeasyPrint alone: lay out one saved HTML document into a PDF, the floor any PDF build is compared to.

    python -m tests.benchmarks.floor DOCUMENT.html BASE_URL OUT.pdf [STYLESHEET ...]
    python -m tests.benchmarks.floor --text DOCUMENT.html OUT.pdf

The first makes the same WeasyPrint call cursus makes (same stylesheets, tagged PDF/UA), nothing
else. The second is the issue's plain-text floor: the document's own words as plain paragraphs
(about 80 words each, WeasyPrint's default style, still tagged), so its pages per CPU-second say how
fast this machine lays out plain text. The first prints the number of pages; the second also the CPU
seconds of the layout alone (reading the document and importing WeasyPrint not counted).
"""

from __future__ import annotations

import html
import sys
import time

from weasyprint import CSS, HTML

WORDS_PER_PARAGRAPH = 80


def main(document: str, base_url: str, out: str, *stylesheets: str) -> None:
    with open(document, encoding="utf-8") as handle:
        laid_out = HTML(string=handle.read(), base_url=base_url).render(stylesheets=[CSS(filename=s) for s in stylesheets], pdf_variant="pdf/ua-1")
    laid_out.write_pdf(out, pdf_variant="pdf/ua-1")
    print(len(laid_out.pages))


def plain_text(document: str, out: str) -> None:
    import lxml.html

    with open(document, encoding="utf-8") as handle:
        words = lxml.html.fromstring(handle.read()).text_content().split()
    paragraphs = (" ".join(words[i : i + WORDS_PER_PARAGRAPH]) for i in range(0, len(words), WORDS_PER_PARAGRAPH))
    source = '<html lang="nl"><title>plain</title><body>' + "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs) + "</body></html>"
    start = time.process_time()
    laid_out = HTML(string=source).render(pdf_variant="pdf/ua-1")
    laid_out.write_pdf(out, pdf_variant="pdf/ua-1")
    print(len(laid_out.pages), time.process_time() - start)


if __name__ == "__main__":
    if sys.argv[1] == "--text":
        plain_text(*sys.argv[2:])
    else:
        main(*sys.argv[1:])
