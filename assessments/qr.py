"""QR codes of links as inline SVG (segno, pure Python): the same markup on a page and in a PDF."""

from __future__ import annotations

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str, *, title: str, module_px: int = 5, css_class: str = "qr-code") -> SafeString:
    """`data` as a QR code: black on a white square with its quiet zone, so it scans on a dark
    projector page too. Its width and height are `module_px` per module (pages need no style
    rule for it; a PDF's stylesheet sizes it in mm); the title names it for screen readers."""
    qr = segno.make(data, error="m")
    border = 4
    svg = qr.svg_inline(
        scale=1,
        border=border,
        omitsize=True,
        dark="#000",
        light="#fff",
        svgclass=css_class,
        title=title,
    )
    side = (qr.symbol_size(scale=1, border=border)[0]) * module_px
    # A viewBox (so a stylesheet can scale it) and a size (so a page needs none). segno escapes
    # the title; the rest is its own path data.
    opening = f'<svg role="img" width="{side}" height="{side}" '
    return mark_safe(svg.replace("<svg ", opening, 1))  # noqa: S308
