"""Certificate PDFs: the background image as the whole page, the template's texts on it as real text.

Geometry: the page is exactly as large as the background, one PDF point per image pixel. A text element's
`x`, `y` are pixels from the top-left corner of the image: `x` is where the text starts (its left edge) and
`y` is its baseline, the line letters sit on, so a template's y matches a line drawn on the background
whatever the font size. Without `x` the text is centred horizontally; without `y` its baseline is the
middle of the page. `fontSize` is in pixels (points) and defaults to 24.

Text is set in DejaVu Sans, embedded (subset) in every PDF, which covers Latin, Greek, Cyrillic, Hebrew and
Arabic letters; characters it lacks (Chinese, Japanese, Korean) show as empty boxes. Text holding
right-to-left letters is laid out with the Unicode bidirectional algorithm, so a Hebrew name reads right to
left on the page. The PDF stores such text in visual order; extractors (poppler, pypdf) turn right-to-left
runs back into reading order, though numbers inside a mixed line may come out moved. Arabic is not shaped.
"""

import functools
import io
import re
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bidi import get_display
from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from gameservices.rendering.background import Background
from gameservices.rendering.qr import QrPlacement, draw_qr

FONT_NAME = "DejaVuSans"
FONT_FILE = Path(__file__).resolve().parent / "fonts" / "DejaVuSans.ttf"
DEFAULT_FONT_SIZE = 24.0
_RIGHT_TO_LEFT = frozenset({"R", "AL"})
# One PDF at a time: the font is registered once for the process, and reportlab reads its file through one
# shared position while it subsets it for each document (two documents saved at once read each other's glyphs:
# a KeyError, or a wrong letter).
_RENDERING = threading.Lock()
_LOCAL_NAME_STEP = re.compile(r"""\*\[local-name\(\)\s*=\s*['"]([^'"]+)['"]\]""")


@dataclass(frozen=True, slots=True)
class TextPlacement:
    """One line of text: its left edge `x` and baseline `y` in pixels from the top-left (None: centred)."""

    text: str
    x: float | None = None
    y: float | None = None
    font_size: float = DEFAULT_FONT_SIZE


@dataclass(frozen=True, slots=True)
class CertificateValues:
    """What a certificate's text elements show for one user (and, for `perEntry`, one entry)."""

    user_full_name: str = ""
    entry_name: str = ""
    credits: float | None = None
    certification_date: date | None = None
    profile_data: Mapping[str, Any] = field(default_factory=dict)


def render_certificate(
    background: Background,
    texts: Sequence[TextPlacement],
    *,
    title: str = "Certificate",
    qr: QrPlacement | None = None,
) -> bytes:
    """A one-page PDF: the background over the whole page, each text at its place, and the verification QR
    code when given."""
    if not background.jpeg.startswith(b"\xff\xd8\xff"):
        raise ValueError("a Background holds JPEG bytes (see background.to_background)")
    _prepare_reportlab()
    with _RENDERING:
        return _render(background, texts, title=title, qr=qr)


def _render(
    background: Background, texts: Sequence[TextPlacement], *, title: str, qr: QrPlacement | None
) -> bytes:
    output = io.BytesIO()
    page = Canvas(
        output,
        pagesize=(background.width, background.height),
        pageCompression=1,
        initialFontName=FONT_NAME,  # type: ignore[arg-type]  # the stub types the font name as a float
    )
    page.setTitle(title)
    page.drawImage(_EmbeddedJpeg(background), 0, 0, background.width, background.height)
    for text in texts:
        _draw_text(page, text, background.width, background.height)
    if qr is not None:
        draw_qr(page, qr, background.width, background.height, FONT_NAME)
    page.showPage()
    page.save()
    return output.getvalue()


def placements(elements: Sequence[Mapping[str, Any]], values: CertificateValues) -> list[TextPlacement]:
    """The texts of a template's `outputFileElements` filled with one user's values, empty ones left out."""
    result: list[TextPlacement] = []
    for element in elements:
        kind = element.get("textElementType")
        if not kind or kind == "verificationQr":
            continue  # the background element; the QR code is drawn by render_certificate
        text = _element_text(str(kind), element, values)
        if text:
            result.append(
                TextPlacement(
                    text=text,
                    x=_optional_float(element.get("x")),
                    y=_optional_float(element.get("y")),
                    font_size=float(element.get("fontSize") or DEFAULT_FONT_SIZE),
                )
            )
    return result


def format_credits(credits: float) -> str:
    """Credits as printed: at most two decimals, no trailing zeros (10.0 -> "10", 11.5 -> "11.5")."""
    return f"{round(credits, 2) + 0.0:.2f}".rstrip("0").rstrip(".")


def metadata_value(profile_data: Mapping[str, Any], x_path: str) -> str:
    """The value at a `metadataField` element's `xPath` in a user's profileData ("" when absent).

    Accepted paths: `company`, `address.city`, `/address/city`, and Kaltura metadata paths such as
    `/*[local-name()='metadata']/*[local-name()='Company']` (the `metadata` root stands for profileData).
    """
    parts = x_path.strip().strip("/").split("/") if "/" in x_path else x_path.strip().split(".")
    names = [_step_name(part) for part in parts if part.strip()]
    if names and names[0] == "metadata" and "metadata" not in profile_data:
        names = names[1:]
    node: Any = profile_data
    for name in names:
        if not isinstance(node, Mapping):
            return ""
        node = node.get(name)
    if node is None or isinstance(node, Mapping) or not names:
        return ""
    if isinstance(node, list):
        return ", ".join(str(item) for item in node)
    return str(node)


def _element_text(kind: str, element: Mapping[str, Any], values: CertificateValues) -> str:
    if kind == "userFullName":
        return values.user_full_name
    if kind == "entryName":
        return values.entry_name
    if kind == "credits":
        return "" if values.credits is None else format_credits(values.credits)
    if kind == "certificationDate":
        return "" if values.certification_date is None else values.certification_date.isoformat()
    if kind == "metadataField":
        return metadata_value(values.profile_data, str(element.get("xPath") or ""))
    return ""


def _step_name(step: str) -> str:
    match = _LOCAL_NAME_STEP.fullmatch(step.strip())
    return match.group(1) if match else step.strip()


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _draw_text(page: Canvas, text: TextPlacement, page_width: int, page_height: int) -> None:
    shown = _visual_order(_one_line(text.text))
    if not shown:
        return
    page.setFont(FONT_NAME, text.font_size)
    if text.x is None:
        x = (page_width - pdfmetrics.stringWidth(shown, FONT_NAME, text.font_size)) / 2
    else:
        x = text.x
    baseline = page_height / 2 if text.y is None else text.y
    # PDF measures y upwards from the bottom of the page; templates measure it downwards from the top.
    page.drawString(x, page_height - baseline, shown)


def _one_line(text: str) -> str:
    printable = "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)
    return " ".join(printable.split())


def _visual_order(text: str) -> str:
    if any(unicodedata.bidirectional(char) in _RIGHT_TO_LEFT for char in text):
        return str(get_display(text))
    return text


class _EmbeddedJpeg(ImageReader):
    """The background as reportlab embeds it: the JPEG bytes as they are (DCTDecode), never decoded."""

    def __init__(self, background: Background) -> None:
        super().__init__(io.BytesIO(background.jpeg))
        self._dataA = None  # no alpha channel; drawImage reads this attribute

    def getRGBData(self) -> bytes:  # noqa: N802  (reportlab's name)
        # drawImage names an image by hashing what this returns, which would otherwise decode every pixel
        # (about 80 ms for a 1397x1080 background); a certificate holds one image, so a fixed name will do.
        return b"certificate-background"


@functools.cache
def _prepare_reportlab() -> None:
    # ASCII85 would make the JPEG and the font a quarter larger; no reader of these PDFs needs 7-bit text.
    rl_config.useA85 = 0
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_FILE)))


def qr_placement(elements: Sequence[Mapping[str, Any]], url: str) -> QrPlacement:
    """Where a template puts its verification QR code (its `verificationQr` element, else the default)."""
    for element in elements:
        if element.get("textElementType") == "verificationQr":
            return QrPlacement(
                url=url,
                x=_optional_float(element.get("x")),
                y=_optional_float(element.get("y")),
                size=_optional_float(element.get("size")),
            )
    return QrPlacement(url=url)
