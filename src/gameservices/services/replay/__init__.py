"""Answers computed by replaying the retained log: rebuilding a game object (`rebuild`), explaining a user's
score (`explain`) and what-if runs of candidate rules (`simulation`)."""
