"""Kaltura sessions (KS): minting, parsing and verifying KS v1/v2 and reading their privileges.

Belongs here: the KS wire format, signature and expiry checks, privilege parsing and the KS's own
restrictions (iprestrict, urirestrict). Pure Python plus the `cryptography` AES primitive; no web, SQL or
partner lookups — callers pass the partner's secrets in.
"""
