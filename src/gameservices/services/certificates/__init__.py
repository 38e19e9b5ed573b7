"""Certificates as documents: the PDF (`certificate_document`), the signed verifiable credential (`credentials`)
and the public pages that show and check it (`credential_pages`)."""
