"""JSON-LD without a network: the contexts the credentials use are bundled and the only ones served.

Canonicalization is RDF Dataset Canonicalization (RDFC-1.0, the algorithm pyld names URDNA2015) to N-Quads.
"""

import functools
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pyld import jsonld

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
# Controlled Identifiers 1.0: the terms of a document that publishes keys (verificationMethod, assertionMethod).
CID_V1 = "https://www.w3.org/ns/cid/v1"
CONTEXT_DIRECTORY = Path(__file__).resolve().parent / "contexts"
BUNDLED_FILES = {
    VC_V2: "credentials-v2.jsonld",
    OB_V3: "ob-v3p0-context-3.0.3.jsonld",
    DATA_INTEGRITY_V2: "data-integrity-v2.jsonld",
    MULTIKEY_V1: "multikey-v1.jsonld",
    CID_V1: "cid-v1.jsonld",
}

DocumentLoader = Callable[[str, Mapping[str, Any]], dict[str, Any]]


class UnknownContext(ValueError):
    """A document names a context that is not bundled: nothing is fetched, so it cannot be processed."""


@functools.cache
def bundled_contexts() -> dict[str, Any]:
    """The bundled contexts by URL, parsed once."""
    return {
        url: json.loads((CONTEXT_DIRECTORY / name).read_text(encoding="utf-8"))
        for url, name in BUNDLED_FILES.items()
    }


def offline_loader(extra: Mapping[str, Any] | None = None) -> DocumentLoader:
    """A pyld document loader serving only the bundled contexts (and ``extra`` ones); any other URL fails."""
    served = dict(bundled_contexts())
    served.update(extra or {})

    def load(url: str, _options: Mapping[str, Any]) -> dict[str, Any]:
        document = served.get(url)
        if document is None:
            raise UnknownContext(f"context not bundled: {url}")
        # "static": pyld keeps the processed context across calls (bundled contexts never change).
        return {"contextUrl": None, "documentUrl": url, "document": document, "tag": "static"}

    return load


_DEFAULT_LOADER = offline_loader()


def canonicalize(document: Mapping[str, Any], loader: DocumentLoader | None = None) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document."""
    options = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": loader or _DEFAULT_LOADER,
    }
    try:
        result: str = jsonld.normalize(dict(document), options)
    except jsonld.JsonLdError as error:
        raise UnknownContext(_reason(error)) from error
    return result


def _reason(error: BaseException) -> str:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, UnknownContext):
            return str(cause)
        cause = cause.__cause__ or cause.__context__
    return f"not valid JSON-LD: {error}"
