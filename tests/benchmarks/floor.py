"""WeasyPrint alone: lay out one saved HTML document into a PDF, the floor any PDF build is compared to.

    python -m tests.benchmarks.floor DOCUMENT.html BASE_URL OUT.pdf [STYLESHEET ...]

It makes the same WeasyPrint call cursus makes (same stylesheets, tagged PDF/UA), nothing else.
"""

from __future__ import annotations

import sys

from weasyprint import CSS, HTML


def main(html: str, base_url: str, out: str, *stylesheets: str) -> None:
    with open(html, encoding="utf-8") as handle:
        document = HTML(string=handle.read(), base_url=base_url).render(stylesheets=[CSS(filename=s) for s in stylesheets], pdf_variant="pdf/ua-1")
    document.write_pdf(out, pdf_variant="pdf/ua-1")
    print(len(document.pages))


if __name__ == "__main__":
    main(*sys.argv[1:])
