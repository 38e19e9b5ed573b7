"""The verification QR code of a certificate PDF: vector modules (one filled path) and the short URL under it.

Geometry, in template pixels from the top-left like text elements: `x`, `y` are the QR square's top-left
corner and `size` its side, white quiet zone (4 modules) included. Without `x`/`y` the code sits in the
bottom-right corner; without `size` it is 16% of the page's shorter side (at least 72). The URL is printed
centred under the square, kept inside the page.
"""

import functools
from dataclasses import dataclass

import segno
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

QUIET_ZONE = 4
FIXED_MASK = 2
_MIN_SIZE = 72.0


@dataclass(frozen=True, slots=True)
class QrPlacement:
    """The URL a certificate's QR code carries and where it goes (None: the defaults above)."""

    url: str
    x: float | None = None
    y: float | None = None
    size: float | None = None


def draw_qr(page: Canvas, placement: QrPlacement, page_width: float, page_height: float, font: str) -> None:
    """Draw the QR code and its caption on the page."""
    shorter = min(page_width, page_height)
    size = min(placement.size or max(_MIN_SIZE, shorter * 0.16), shorter)
    font_size = max(5.0, min(14.0, size / 16))
    caption = font_size * 1.6
    margin = max(12.0, shorter * 0.03)
    left = placement.x if placement.x is not None else page_width - margin - size
    top = placement.y if placement.y is not None else page_height - margin - size - caption
    left = min(max(0.0, left), page_width - size)
    top = min(max(0.0, top), page_height - size)
    bottom = page_height - top - size  # PDF y grows upwards
    page.saveState()
    page.setFillColorRGB(1, 1, 1)
    page.rect(left, bottom, size, size, stroke=0, fill=1)
    page.setFillColorRGB(0, 0, 0)
    _modules(page, placement.url, left, bottom, size)
    _caption(page, placement.url, left + size / 2, bottom, page_width, font, font_size)
    page.restoreState()


@functools.lru_cache(maxsize=1024)
def modules(url: str) -> tuple[bytes, ...]:
    """The QR code's rows of modules (1 = dark), error correction level M.

    The mask is fixed: choosing the best of eight by their penalty scores is segno's slowest step (about
    6x the rest), and any mask is a valid code that readers decode.
    """
    code = segno.make(url, error="m", micro=False, mask=FIXED_MASK, boost_error=False)
    return tuple(bytes(row) for row in code.matrix)


def _modules(page: Canvas, url: str, left: float, bottom: float, size: float) -> None:
    rows = modules(url)
    module = size / (len(rows) + 2 * QUIET_ZONE)
    # One filled path of rectangles in module units (row 0 at the top), written as PDF operators: formatting
    # hundreds of float rectangles through reportlab's path object costs more than the rest of the page.
    runs: list[str] = []
    for row_index, row in enumerate(rows):
        y = len(rows) - 1 - row_index
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            runs.append(f"{start} {y} {column - start} 1 re")
    page.saveState()
    page.transform(module, 0, 0, module, left + QUIET_ZONE * module, bottom + QUIET_ZONE * module)
    page.addLiteral("\n".join(runs) + "\nf")
    page.restoreState()


def _caption(
    page: Canvas, url: str, centre: float, qr_bottom: float, page_width: float, font: str, font_size: float
) -> None:
    shown = url.split("://", 1)[-1]
    width = pdfmetrics.stringWidth(shown, font, font_size)
    x = min(max(2.0, centre - width / 2), max(2.0, page_width - width - 2))
    baseline = qr_bottom - font_size * 1.2
    if baseline < 2:
        baseline = qr_bottom + 2  # no room below: inside the quiet zone's bottom edge
    page.setFillColorRGB(1, 1, 1)
    page.rect(x - 2, baseline - font_size * 0.3, width + 4, font_size * 1.3, stroke=0, fill=1)
    page.setFillColorRGB(0, 0, 0)
    page.setFont(font, font_size)
    page.drawString(x, baseline, shown)
