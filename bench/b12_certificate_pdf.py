"""B12: certificate PDFs with a JPEG background (DESIGN.md section 8: >= 100 PDFs/s; reportlab ~10 ms anchor).

Builds a seeded 1397x1080 photo-like JPEG (the guide's background size), turns it into a `Background` once
(as the cache does for every certificate), then renders `--pdfs` certificates from the guide's template
(section 15.5: userFullName, entryName, credits, certificationDate), each with another user's name, Latin,
Greek, Cyrillic and Hebrew mixed, then again with the verification QR code and short verify URL of
verifiable certificates (`qr_` figures). Reports PDFs/s, p50/p99 ms per PDF and the PDF size.

Anchor, measured first in the same process with reportlab's default settings: a bare reportlab canvas of
the same page size drawing the same JPEG from a file and four strings in Helvetica, then saving. Its
default ASCII85 stream encoding runs in pure Python without reportlab's optional C accelerator, so the
anchor is measured a second time with ASCII85 off (`anchor_raw_`), the setting the service renders with.
Figures are reported, never asserted.

Run: PYTHONPATH=src python bench/b12_certificate_pdf.py [--pdfs 1000] [--json out.json]
"""

import argparse
import io
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter
from reportlab import rl_config
from reportlab.pdfgen.canvas import Canvas

from gameservices.rendering.background import Background, to_background
from gameservices.rendering.pdf import CertificateValues, placements, render_certificate
from gameservices.rendering.qr import QrPlacement

WIDTH, HEIGHT = 1397, 1080
TARGETS = {"pdfs_per_s": ">= 100", "qr_pdfs_per_s": ">= 100", "anchor_ms_per_pdf_p50": "~10 ms (DESIGN.md)"}
ELEMENTS: list[dict[str, Any]] = [
    {"url": "data:,"},
    {"textElementType": "userFullName", "fontSize": 30, "y": 440},
    {"textElementType": "entryName", "fontSize": 30, "y": 570},
    {"textElementType": "credits", "fontSize": 23, "x": 1060, "y": 699},
    {"textElementType": "certificationDate", "fontSize": 18, "x": 695, "y": 636},
]
FIRST_NAMES = ["Zoë", "Ångström", "Łukasz", "Мария", "Γιώργος", "דנה", "Ada", "José", "Søren", "Chloé"]
LAST_NAMES = ["Ångström-Łukasiewicz", "Иванова", "Παπαδόπουλος", "כהן", "Lovelace", "Núñez", "Kierkegaard"]


def background_jpeg(seed: int) -> bytes:
    """A seeded photo-like 1397x1080 JPEG (smooth gradients, shapes, some noise), quality 90."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y, size = rng.randrange(WIDTH), rng.randrange(HEIGHT), rng.randrange(20, 300)
        color = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x, y, x + size, y + size), fill=color)
    image = image.filter(ImageFilter.GaussianBlur(6))
    noise = Image.effect_noise((WIDTH, HEIGHT), 24).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    output = io.BytesIO()
    image.save(output, "JPEG", quality=90)
    return output.getvalue()


def timed(render: Callable[[int], bytes], count: int) -> tuple[list[float], int]:
    """Run `render` `count` times; return each call's seconds and the size of the last output."""
    render(0)  # warm-up: font parsing and imports are not per-PDF costs
    seconds: list[float] = []
    size = 0
    for number in range(count):
        started = time.perf_counter()
        size = len(render(number))
        seconds.append(time.perf_counter() - started)
    return seconds, size


def anchor_render(jpeg_path: str) -> Callable[[int], bytes]:
    """A bare reportlab canvas: the JPEG from a file and four Helvetica strings."""

    def render(number: int) -> bytes:
        output = io.BytesIO()
        canvas = Canvas(output, pagesize=(WIDTH, HEIGHT))
        canvas.drawImage(jpeg_path, 0, 0, WIDTH, HEIGHT)
        canvas.setFont("Helvetica", 30)
        canvas.drawCentredString(WIDTH / 2, HEIGHT - 440, f"Participant {number}")
        canvas.drawCentredString(WIDTH / 2, HEIGHT - 570, "Cardiology Update - Session 4")
        canvas.setFont("Helvetica", 23)
        canvas.drawString(1060, HEIGHT - 699, "1.5")
        canvas.setFont("Helvetica", 18)
        canvas.drawString(695, HEIGHT - 636, "2025-05-20")
        canvas.showPage()
        canvas.save()
        return output.getvalue()

    return render


def certificate_render(background: Background, seed: int, *, qr: bool = False) -> Callable[[int], bytes]:
    """The service's rendering: placements from the guide template, then render_certificate (with the
    verification QR code of a 22-character credential id in the default corner when `qr`)."""
    rng = random.Random(seed)

    def render(number: int) -> bytes:
        values = CertificateValues(
            user_full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            entry_name=f"Cardiology Update — Session {number % 40 + 1}",
            credits=rng.choice([1.0, 1.5, 2.0, 11.5]),
            certification_date=date(2025, 5, 1 + number % 28),
        )
        code = QrPlacement(f"https://certs.example.org/verify/{number:022d}") if qr else None
        return render_certificate(background, placements(ELEMENTS, values), qr=code)

    return render


def figures_of(prefix: str, seconds: list[float], size: int) -> dict[str, float]:
    """Rate, p50 and p99 in milliseconds, and output size, named with `prefix`."""
    ordered = sorted(seconds)
    return {
        f"{prefix}pdfs_per_s": len(seconds) / sum(seconds),
        f"{prefix}ms_per_pdf_p50": statistics.median(ordered) * 1e3,
        f"{prefix}ms_per_pdf_p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3,
        f"{prefix}pdf_kb": size / 1024,
    }


def report(figures: dict[str, float]) -> None:
    """Print one line per figure, with its target when DESIGN.md sets one."""
    for name, value in figures.items():
        shown = f"{value:>14,}" if isinstance(value, int) else f"{value:>14,.2f}"
        print(f"{name:32} {shown}  {TARGETS.get(name, '')}".rstrip())


def main() -> None:
    """Parse the options, run the anchor and the service's rendering, and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pdfs", type=int, default=1_000, help="certificates rendered")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--json", help="also write the figures to this file")
    options = parser.parse_args()
    if options.pdfs < 1:
        parser.error("--pdfs must be at least 1")
    jpeg = background_jpeg(options.seed)
    figures: dict[str, float] = {"pdfs": options.pdfs, "background_jpeg_kb": len(jpeg) / 1024}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "background.jpg"
        path.write_bytes(jpeg)
        # The anchor runs first: the service's renderer turns ASCII85 off for the whole process.
        figures.update(figures_of("anchor_", *timed(anchor_render(str(path)), options.pdfs)))
        rl_config.useA85 = 0
        figures.update(figures_of("anchor_raw_", *timed(anchor_render(str(path)), options.pdfs)))
    started = time.perf_counter()
    background = to_background(jpeg, 25_000_000)
    figures["background_convert_ms"] = (time.perf_counter() - started) * 1e3
    figures.update(figures_of("", *timed(certificate_render(background, options.seed), options.pdfs)))
    figures.update(
        figures_of("qr_", *timed(certificate_render(background, options.seed, qr=True), options.pdfs))
    )
    figures["ratio_to_anchor"] = figures["pdfs_per_s"] / figures["anchor_pdfs_per_s"]
    figures["ratio_to_raw_anchor"] = figures["pdfs_per_s"] / figures["anchor_raw_pdfs_per_s"]
    report(figures)
    if options.json:
        with open(options.json, "w") as output:
            json.dump(figures, output, indent=2)


if __name__ == "__main__":
    main()
