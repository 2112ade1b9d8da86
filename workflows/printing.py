"""The statutory forms as PDF: the same HTML the officer prints from the
browser, laid out by WeasyPrint with the forms' print CSS (A4).

The forms carry everything inline (CSS, the QR code as SVG), so nothing is
fetched while rendering: the fetcher refuses every URL, and text typed by a
citizen can never make the server load a resource.
"""

from __future__ import annotations

import weasyprint


class ResourceRefused(ValueError):
    pass


def _no_fetch(url: str, *args, **kwargs):
    raise ResourceRefused(f"Mẫu in không tải tài nguyên ngoài: {url[:80]}")


def pdf_document(html: str) -> weasyprint.Document:
    """Lay the page out (``document.pages`` is one entry per A4 sheet)."""
    return weasyprint.HTML(string=html, url_fetcher=_no_fetch, media_type="print").render()


def pdf_bytes(html: str) -> bytes:
    return pdf_document(html).write_pdf()
