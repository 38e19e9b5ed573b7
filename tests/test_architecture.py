"""Dependencies point inward: the domain imports only the standard library; only storage imports SQLAlchemy;
only the HTTP layers (api/ and the web front end console/) import FastAPI; services/ is grouped into named packages."""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "gameservices"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((PACKAGE / package).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("domain"), ids=lambda path: path.name)
def test_domain_imports_only_the_standard_library_and_itself(path: Path) -> None:
    for name in _imports(path):
        top = name.split(".")[0]
        assert top in sys.stdlib_module_names or name.startswith("gameservices.domain"), (
            f"{path.name} imports {name}"
        )


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda path: str(path.relative_to(PACKAGE))
)
def test_framework_imports_stay_in_their_layer(path: Path) -> None:
    layer = path.relative_to(PACKAGE).parts[0]
    for name in _imports(path):
        top = name.split(".")[0]
        if top in ("sqlalchemy", "alembic"):
            assert layer == "storage", f"{path} imports {name}"
        if top in ("fastapi", "starlette", "uvicorn"):
            serving = layer == "cli" and path.name == "serve.py" and top == "uvicorn"
            assert layer in ("api", "console") or serving, f"{path} imports {name}"
        if top == "KalturaClient":
            pytest.fail(f"{path} imports the official client, a test-only dependency")


@pytest.mark.parametrize("path", _modules("credentials"), ids=lambda path: path.name)
def test_credentials_import_only_the_standard_library_pyld_and_cryptography(path: Path) -> None:
    # Verifiable certificates' signing and verification: pure logic the CLI shares with the verify page.
    for name in _imports(path):
        top = name.split(".")[0]
        assert (
            top in sys.stdlib_module_names
            or top in ("pyld", "cryptography")
            or name.startswith("gameservices.credentials")
        ), f"{path.name} imports {name}"


def test_services_are_grouped_into_packages() -> None:
    # services/ holds named packages only: a new use case joins the package of what it serves (or a new one).
    loose = sorted(path.name for path in (PACKAGE / "services").glob("*.py") if path.name != "__init__.py")
    assert loose == []
    for package in (PACKAGE / "services").iterdir():
        if package.is_dir() and package.name != "__pycache__":
            assert (package / "__init__.py").read_text(encoding="utf-8").startswith('"""'), package.name
