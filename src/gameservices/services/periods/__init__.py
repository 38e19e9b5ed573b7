"""Recurring leaderboard periods: a leaderboard's recurrence and periods as the API shows them (`recurrence`),
closing periods exactly once (`close`), and a user's rule progress in one period (`progress`); docs/periods.md."""
