"""One way to make a PDF: a Django template rendered to HTML, then WeasyPrint.

Registers, extraction reports (procès-verbaux) and monthly reports all go through
here so that they share fonts, page size and the print stylesheet.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

PRINT_CSS = """
@page { size: A4; margin: 18mm 15mm 20mm 15mm;
        @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; color: #000; }
h1 { font-size: 15pt; margin: 0 0 4mm; }
h2 { font-size: 11pt; margin: 6mm 0 2mm; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.4pt solid #555; padding: 1.2mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #e8e8e8; }
.meta { color: #333; font-size: 8pt; }
.mono { font-family: "DejaVu Sans Mono", monospace; font-size: 7.5pt; word-break: break-all; }
"""


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render ``template_name`` (a full HTML document) to PDF bytes.

    The template may use ``{{ print_css }}`` inside a ``<style>`` element.
    """
    from weasyprint import HTML  # imported late: Pango loads on first use only

    html = render_to_string(template_name, {"print_css": PRINT_CSS, **context})
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    return pdf


def warm() -> None:
    """Load WeasyPrint, Pango and the fonts now (~2 s the first time in a process), so
    that a long-running worker does not make its first user wait for them."""
    from weasyprint import HTML

    HTML(string=f"<style>{PRINT_CSS}</style><h1>Vigie</h1><p class=mono>0</p>").write_pdf()
