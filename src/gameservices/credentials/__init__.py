"""Verifiable certificates: Open Badges 3.0 credentials signed with Data Integrity ``eddsa-rdfc-2022``.

Pure logic and cryptography (pyld, cryptography, the standard library): no web, SQL or settings imports.
"""
