"""QR codes and barcodes for cards, as SVG (no image libraries, no network)."""

from __future__ import annotations

import io

import barcode
import qrcode
import qrcode.image.svg
from barcode.writer import SVGWriter


def qr_svg(text: str) -> bytes:
    """A QR code of ``text`` (the card number) as an SVG document."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def barcode_svg(text: str) -> bytes:
    """A Code 128 barcode of ``text``, readable by any counter scanner."""
    out = io.BytesIO()
    barcode.get("code128", text, writer=SVGWriter()).write(
        out,
        options={"module_height": 12.0, "font_size": 8, "text_distance": 4.0, "quiet_zone": 2.0},
    )
    return out.getvalue()
