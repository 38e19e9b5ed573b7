"""The projection of the event log held in memory by every process: boards, and catching up with the log."""
