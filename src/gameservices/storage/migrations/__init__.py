"""Alembic migrations of the schema; ``upgrade`` brings a database to the newest revision."""
