"""The projection of the event log held in memory by every process: every partner's state and the one way
requests reach it (`live.LiveState`), one partner's state (`state.PartnerState`), loading it from the tables
(`loading`), group commit (`group_commit`), what each entry does (`apply`), catching a state up (`catch_up`),
replaying and verifying (`replay`), what-if and rebuilds (`simulate`, `rebuild`), and the boards the ranks come
from (`board`)."""
