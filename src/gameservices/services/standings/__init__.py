"""What the standings show: scores and ranks (`user_score`), badge and lead-scoring progress (`user_badge`,
`user_lead_scoring`), the rank widget (`widget`), big screens (`display_link`) and the console's activity
(`activity`)."""
