"""Durability: crash safety of ingestion on SQLite and PostgreSQL, and exactly-once effects of re-sent events."""
