from pathlib import Path

from django.test import override_settings

from vigie.core.pdf import render_pdf


def test_render_pdf_from_a_template(tmp_path: Path) -> None:
    (tmp_path / "doc.html").write_text(
        "<html><head><style>{{ print_css }}</style></head>"
        "<body><h1>Registre — {{ name }}</h1></body></html>",
        encoding="utf-8",
    )
    templates = [
        {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [str(tmp_path)]}
    ]
    with override_settings(TEMPLATES=templates):
        pdf = render_pdf("doc.html", {"name": "Antony"})
    assert pdf.startswith(b"%PDF-")
    assert len(pdf) > 1000
