"""The HTTP layer: FastAPI application, request parsing, authentication and error mapping.

Only this package imports FastAPI. Handlers parse their body model, call one service function inside a transaction
they own, and return the service's answer.
"""
