"""Certificate PDFs: page size, real embedded text, the embedded background, and where the text lands."""

import io
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from reportlab.pdfbase.ttfonts import TTFont

from gameservices.rendering.background import Background, to_background
from gameservices.rendering.pdf import (
    FONT_FILE,
    CertificateValues,
    TextPlacement,
    format_credits,
    metadata_value,
    placements,
    render_certificate,
)

NAME = "Zoë Ångström-Łukasiewicz"
# outputFileElements of guide section 15.5 (a 1397x1080 background).
GUIDE_ELEMENTS: list[dict[str, Any]] = [
    {"url": "https://cfvod.kaltura.com/p/1/thumbnail/entry_id/0_bg/width/1397/height/1080"},
    {"textElementType": "userFullName", "fontSize": 30, "y": 440},
    {"textElementType": "entryName", "fontSize": 30, "y": 570},
    {"textElementType": "credits", "fontSize": 23, "x": 1060, "y": 699},
    {"textElementType": "certificationDate", "fontSize": 18, "x": 695, "y": 636},
]
needs_pdftoppm = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is absent"
)


def white_background(width: int, height: int) -> Background:
    output = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(output, "PNG")
    return to_background(output.getvalue(), 50_000_000)


def page_of(pdf: bytes) -> Any:
    return PdfReader(io.BytesIO(pdf)).pages[0]


def rasterized(pdf: bytes, tmp_path: Path) -> Image.Image:
    """The PDF drawn by poppler at 72 dpi: one pixel per point, so pixels match template coordinates."""
    (tmp_path / "page.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "72", "-png", "-singlefile", str(tmp_path / "page.pdf"), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    return Image.open(tmp_path / "page.png").convert("L")


def ink_box(image: Image.Image) -> tuple[int, int, int, int]:
    """Left, top, right, bottom (inclusive) of the dark pixels."""
    box = image.point(lambda value: 255 if value < 128 else 0).getbbox()
    assert box is not None, "no text was drawn"
    left, top, right, bottom = box
    return left, top, right - 1, bottom - 1


# --- the PDF ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(1397, 1080), (640, 480), (333, 999)])
def test_the_page_is_the_background_size_in_points(width: int, height: int) -> None:
    box = page_of(render_certificate(white_background(width, height), [TextPlacement("x", 10, 20)])).mediabox
    assert (float(box.left), float(box.bottom), float(box.width), float(box.height)) == (0, 0, width, height)


def test_the_guide_certificate_carries_its_texts_as_text() -> None:
    values = CertificateValues(
        user_full_name=NAME,
        entry_name="Cardiology Update — Session 4",
        credits=11.5,
        certification_date=date(2025, 5, 20),
    )
    pdf = render_certificate(white_background(1397, 1080), placements(GUIDE_ELEMENTS, values))
    text = page_of(pdf).extract_text()
    for expected in (NAME, "Cardiology Update — Session 4", "11.5", "2025-05-20"):
        assert expected in text


@pytest.mark.parametrize(
    "written",
    [
        "Мария Иванова",
        "Γιώργος Παπαδόπουλος",
        # Stored in visual order; extractors put right-to-left runs back in reading order.
        "שלום כהן",
    ],
)
def test_other_scripts_are_real_text(written: str) -> None:
    pdf = render_certificate(white_background(600, 200), [TextPlacement(written, 20, 100)])
    assert page_of(pdf).extract_text().strip() == written


def test_mixed_direction_text_keeps_every_word() -> None:
    pdf = render_certificate(white_background(600, 200), [TextPlacement("Dana כהן 2025", 20, 100)])
    assert sorted(page_of(pdf).extract_text().split()) == ["2025", "Dana", "כהן"]


@pytest.mark.parametrize("text", [NAME, "Мария Иванова", "Γιώργος Παπαδόπουλος", "שלום כהן"])
def test_the_font_has_a_glyph_for_every_letter(text: str) -> None:
    characters = TTFont("coverage", str(FONT_FILE)).face.charToGlyph
    assert [char for char in text if char != " " and ord(char) not in characters] == []


def test_the_font_is_embedded_and_no_other_is_used() -> None:
    pdf = render_certificate(
        white_background(600, 200), [TextPlacement(NAME, 20, 100), TextPlacement("שלום")]
    )
    fonts: DictionaryObject = page_of(pdf)["/Resources"]["/Font"]
    assert len(fonts) >= 1
    for reference in fonts.values():
        font = reference.get_object()
        assert font["/Subtype"] == "/TrueType"
        assert str(font["/BaseFont"]).endswith("+DejaVuSans")
        assert "/FontFile2" in font["/FontDescriptor"]
        assert "/ToUnicode" in font


def test_the_background_jpeg_is_embedded_unchanged() -> None:
    background = white_background(320, 240)
    images = page_of(render_certificate(background, []))["/Resources"]["/XObject"]
    [image] = [reference.get_object() for reference in images.values()]
    assert image["/Filter"] in ("/DCTDecode", ["/DCTDecode"])
    assert (image["/Width"], image["/Height"]) == (320, 240)
    assert image.get_data() == background.jpeg


def test_texts_become_one_line_and_empty_ones_are_skipped() -> None:
    texts = [TextPlacement("Zoë\nÅngström\t\x00 Łuk", 20, 50), TextPlacement(" \n ", 20, 100)]
    assert (
        page_of(render_certificate(white_background(600, 200), texts)).extract_text().strip()
        == "Zoë Ångström Łuk"
    )


def test_a_background_must_hold_a_jpeg() -> None:
    with pytest.raises(ValueError, match="JPEG"):
        render_certificate(Background(jpeg=b"\x89PNG\r\n", width=10, height=10), [])


# --- where the text lands (DejaVu Sans "H": 2048 units per em, left side bearing 201, cap height 1493) ---


@needs_pdftoppm
@pytest.mark.parametrize(
    ("placement", "expected_box"),
    [
        # left = x + 201/2048*40 = 53.9; baseline y = 200, so the last ink row is 199; top = 200 - 1493/2048*40.
        (TextPlacement("HHHH", x=50, y=200, font_size=40), (54, 171, None, 199)),
        # fontSize defaults to 24: top = 300 - 1493/2048*24 = 282.5.
        (TextPlacement("HHHH", x=100, y=300), (102, 283, None, 299)),
        # Four H are 4*1540/2048*40 = 120.3 wide; centred on a 640 page they run from 259.8 + 3.9 to 380.2 - 3.9.
        (TextPlacement("HHHH", y=100, font_size=40), (264, 71, 376, 99)),
        # Without y the baseline is the middle of the page (240).
        (TextPlacement("HHHH", x=10, font_size=40), (14, 211, None, 239)),
    ],
    ids=["x-y", "default-size", "centred", "no-y"],
)
def test_text_lands_where_the_template_puts_it(
    placement: TextPlacement, expected_box: tuple[int, int, int | None, int], tmp_path: Path
) -> None:
    left, top, right, bottom = ink_box(
        rasterized(render_certificate(white_background(640, 480), [placement]), tmp_path)
    )
    assert abs(left - expected_box[0]) <= 1
    assert abs(top - expected_box[1]) <= 1
    assert abs(bottom - expected_box[3]) <= 1
    if expected_box[2] is not None:
        assert abs(right - expected_box[2]) <= 1


@needs_pdftoppm
def test_the_guide_name_is_centred_on_its_line(tmp_path: Path) -> None:
    values = CertificateValues(user_full_name=NAME)
    image = rasterized(
        render_certificate(white_background(1397, 1080), placements(GUIDE_ELEMENTS, values)), tmp_path
    )
    left, top, right, bottom = ink_box(image)
    assert abs((left + right) / 2 - 1397 / 2) <= 2
    # "ö", "Å" and "Ł" rise above the cap height; "g" descends below the baseline at 440.
    assert 400 <= top < 440 - 0.72 * 30 and 440 < bottom <= 440 + 0.25 * 30


def word_widths(image: Image.Image) -> list[int]:
    """Widths of the inked runs from left to right, runs split by gaps of 8 or more blank columns."""
    pixels = image.load()
    assert pixels is not None
    inked = [x for x in range(image.width) if any(pixels[x, y] < 128 for y in range(image.height))]  # type: ignore[operator]
    runs = [[inked[0], inked[0]]]
    for x in inked[1:]:
        if x - runs[-1][1] > 8:
            runs.append([x, x])
        runs[-1][1] = x
    return [end - start + 1 for start, end in runs]


@needs_pdftoppm
@pytest.mark.parametrize(("text", "narrow_first"), [("ם שלום", False), ("שלום ם", True)])
def test_hebrew_is_drawn_right_to_left(text: str, narrow_first: bool, tmp_path: Path) -> None:
    # The first word of Hebrew text stands at the right: "ם שלום" shows the one-letter word last.
    pdf = render_certificate(white_background(400, 100), [TextPlacement(text, x=20, y=60, font_size=40)])
    widths = word_widths(rasterized(pdf, tmp_path))
    assert len(widths) == 2
    assert (widths[0] < widths[1]) is narrow_first
    assert min(widths) < 30 < 60 < max(widths)  # one letter, four letters


# --- placements from a template -----------------------------------------------------------------------------


def test_the_guide_template_becomes_four_placements() -> None:
    values = CertificateValues(
        user_full_name="Ada Lovelace",
        entry_name="Session 4",
        credits=1.5,
        certification_date=date(2025, 5, 20),
    )
    assert placements(GUIDE_ELEMENTS, values) == [
        TextPlacement("Ada Lovelace", x=None, y=440.0, font_size=30.0),
        TextPlacement("Session 4", x=None, y=570.0, font_size=30.0),
        TextPlacement("1.5", x=1060.0, y=699.0, font_size=23.0),
        TextPlacement("2025-05-20", x=695.0, y=636.0, font_size=18.0),
    ]


def test_elements_without_a_value_are_left_out_and_font_size_defaults_to_24() -> None:
    elements: list[dict[str, Any]] = [
        {"url": "data:,"},
        {"textElementType": "userFullName", "y": 100},
        {"textElementType": "entryName", "y": 200},
        {"textElementType": "credits", "y": 300},
        {"textElementType": "certificationDate", "y": 400},
        {"textElementType": "metadataField", "xPath": "company", "y": 500},
    ]
    assert placements(elements, CertificateValues(user_full_name="Ada")) == [
        TextPlacement("Ada", x=None, y=100.0, font_size=24.0)
    ]


PROFILE = {
    "company": "Kaltura",
    "address": {"city": "Tel Aviv", "zip": 6789},
    "Company": "Acme",
    "languages": ["en", "he"],
}


@pytest.mark.parametrize(
    ("x_path", "expected"),
    [
        ("company", "Kaltura"),
        ("address.city", "Tel Aviv"),
        ("/address/city", "Tel Aviv"),
        ("address/zip", "6789"),
        ("/*[local-name()='metadata']/*[local-name()='Company']", "Acme"),
        ("/*[local-name()='metadata']/*[local-name()='address']/*[local-name()='city']", "Tel Aviv"),
        ("languages", "en, he"),
        ("address", ""),
        ("title", ""),
        ("company.name", ""),
        ("", ""),
    ],
)
def test_metadata_fields_read_profile_data(x_path: str, expected: str) -> None:
    assert metadata_value(PROFILE, x_path) == expected


def test_a_metadata_field_element_uses_its_x_path() -> None:
    elements = [{"textElementType": "metadataField", "xPath": "address.city", "x": 5, "y": 6, "fontSize": 12}]
    assert placements(elements, CertificateValues(profile_data=PROFILE)) == [
        TextPlacement("Tel Aviv", x=5.0, y=6.0, font_size=12.0)
    ]


@pytest.mark.parametrize(
    ("credits", "printed"),
    [(10.0, "10"), (11.5, "11.5"), (1.25, "1.25"), (0.333, "0.33"), (2.999, "3"), (0.0, "0"), (120.0, "120")],
)
def test_credits_are_printed_without_trailing_zeros(credits: float, printed: str) -> None:
    assert format_credits(credits) == printed


def test_certificates_render_side_by_side_in_threads() -> None:
    background = white_background(600, 200)
    names = [
        f"{first} {last}" for first in ("Zoë", "Мария", "Γιώργος", "Ada") for last in ("Łuk", "Ёж", "Ωμέγα")
    ]

    def render(name: str) -> str:
        return str(
            page_of(render_certificate(background, [TextPlacement(name, 20, 100)])).extract_text().strip()
        )

    # Threads switched as often as the interpreter can: a save of one document while another's subsets the
    # shared font read the other's glyphs (a KeyError in about one round in four of these).
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(12):
            with ThreadPoolExecutor(max_workers=4) as pool:
                assert list(pool.map(render, names * 4)) == names * 4
    finally:
        sys.setswitchinterval(interval)
