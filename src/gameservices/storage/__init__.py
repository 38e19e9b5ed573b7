"""Storage: the database schema, its migrations and the repositories.

Only this package imports SQLAlchemy and writes SQL. Repositories take an open connection; the caller (a request, a
CLI command, a scheduler tick) owns the transaction and commits it.
"""
