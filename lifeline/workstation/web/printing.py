"""The receipt's QR code, drawn here as inline SVG (segno, pure Python): no image service, no
outside request; the SVG carries no style attribute (the CSP allows none)."""
import segno
from django.utils.safestring import mark_safe


def qr_svg(text: str):
    """The QR code of `text` (error correction M: a creased receipt still scans)."""
    return mark_safe(segno.make(text, error="m").svg_inline(scale=4, border=2, svgclass="qr"))
