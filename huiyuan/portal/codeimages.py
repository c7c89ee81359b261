"""The member code as inline SVG that the portal's Content-Security-Policy allows.

No ``style`` attributes (CSP forbids inline styles), a ``viewBox`` so CSS sizes them, and
one ``<path>`` each, so a code is a few kilobytes. The modules come from the maintained
``qrcode`` and ``python-barcode`` packages (already used by huiyuan.cards.images).
"""

from __future__ import annotations

import barcode
import qrcode
from django.utils.html import format_html
from django.utils.safestring import SafeString


def qr_inline(text: str) -> SafeString:
    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    size = len(matrix)
    d = "".join(
        f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark
    )
    return format_html(
        '<svg class="pt-code-qr" viewBox="0 0 {0} {0}" role="img" aria-label="QR {1}" '
        'shape-rendering="crispEdges" xmlns="http://www.w3.org/2000/svg">'
        '<rect width="{0}" height="{0}" fill="#fff"/><path fill="#000" d="{2}"/></svg>',
        size,
        text,
        d,
    )


def code128_inline(text: str) -> SafeString:
    modules = barcode.get("code128", text).build()[0]
    quiet = 10
    width = len(modules) + 2 * quiet
    parts = []
    x = 0
    while x < len(modules):
        if modules[x] == "1":
            run = 1
            while x + run < len(modules) and modules[x + run] == "1":
                run += 1
            parts.append(f"M{x + quiet},0h{run}v40h-{run}z")
            x += run
        else:
            x += 1
    return format_html(
        '<svg class="pt-code-bar" viewBox="0 0 {0} 40" preserveAspectRatio="none" role="img" '
        'aria-label="Code 128 {1}" shape-rendering="crispEdges" '
        'xmlns="http://www.w3.org/2000/svg"><rect width="{0}" height="40" fill="#fff"/>'
        '<path fill="#000" d="{2}"/></svg>',
        width,
        text,
        "".join(parts),
    )
