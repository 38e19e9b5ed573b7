"""A partner's game objects and their rules: what the four kinds share (`game_objects`), each kind (`leaderboard`,
`badge`, `certificate`, `lead_scoring`), rules (`rule`) compiled into the engine's rule set (`rule_set`), planned
status changes (`scheduled_game_object`, run by `scheduler_jobs`) and entries (`entry`)."""
