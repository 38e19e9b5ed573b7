"""The vendored front-end assets match their checksum files, and no page loads a script from elsewhere or runs
an inline one."""

import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR_DIRS = (ROOT / "src/gameservices/console/static/vendor", ROOT / "tests/browser/vendor")
TEMPLATES = sorted((ROOT / "src/gameservices/console/templates").rglob("*.html"))


@pytest.mark.parametrize("folder", VENDOR_DIRS, ids=lambda folder: folder.parent.name)
def test_vendored_files_match_their_checksums(folder: Path) -> None:
    listed = {}
    for line in (folder / "checksums.sha256").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    present = {path.name for path in folder.iterdir() if path.name != "checksums.sha256"}
    assert set(listed) == present
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_have_no_inline_script_no_handler_and_no_remote_asset(template: Path) -> None:
    text = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert re.search(r'src="/static/', tag), tag
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert not re.search(r"""(src|href)="(https?:)?//""", text), "asset from another site"
    assert "<style" not in text and 'style="' not in text
