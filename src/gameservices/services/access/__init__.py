"""Who may call: partners and their secrets (`partner`), KS verification and privileges (`session`), and the web
console's sign-in sessions (`console_session`)."""
