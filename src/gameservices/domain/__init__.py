"""Pure game logic: rule conditions and accumulation (the rules engine), participation policies, event
normalisation, ranking order, certificate credits and lead-scoring groups.

Everything in this package imports only the standard library: no web framework, no SQL, no I/O. Services
feed it plain values (events, rules, stored buckets, profile facts) and persist what it returns.
"""
