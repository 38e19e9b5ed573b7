"""User profiles: the ``userProfile`` controller (`user_profile`), CSV imports of profiles (`user_profile_csv`),
and the profile facts that participation policies read (`profiles_lookup`)."""
