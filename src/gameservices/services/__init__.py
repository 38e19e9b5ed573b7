"""Services: the use cases of the API, combining domain logic and repositories.

A service function takes an open connection and the calling partner's id, and never commits: the request, CLI
command or scheduler tick that called it owns the transaction.
"""
