"""Scoring: events in (`event`, the player's beacons in `analytics`, CSV files in `csv_import`), achievements
decided as they are applied (`achievements`), and who takes part on each game object (`visibility`)."""
