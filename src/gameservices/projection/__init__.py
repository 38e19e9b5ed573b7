"""The projection of the event log held in memory by every process: what each entry does (`apply`), catching a
live state up (`catch_up`), replaying and verifying (`replay`), what-if and rebuilds (`simulate`, `rebuild`),
and the boards the ranks come from (`board`)."""
