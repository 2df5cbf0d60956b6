"""HTML printed to PDF by WeasyPrint, for the processes that answer PDFs (evaluation's reports,
the gateway's access-request copy). WeasyPrint is their dependency, not the kit's: it is imported
only when a PDF is asked for (a heavy import). The deployment image carries Pango, the Noto CJK
font that prints the Chinese, and HarfBuzz's subsetter (only the glyphs used are embedded)."""


def pdf_from_html(html: str) -> bytes:
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
