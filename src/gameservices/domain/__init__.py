"""Pure game logic: conditions, rules, participation policies, event normalisation and the rules engine.

Everything in this package imports only the standard library: no web framework, no SQL, no I/O. Services
feed it plain values (events, rules, stored buckets, profile facts) and persist what it returns.
"""
