"""API v3 as the Kaltura server speaks it: its errors (`kaltura_v3`), its ``session`` service (`kaltura_session`)
and the game plugin's ``userScore`` service (`game_userscore`)."""
