"""gameservices: a self-hostable implementation of the Kaltura Game Services (SCM) gamification API."""

__version__ = "0.1.0"
