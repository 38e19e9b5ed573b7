"""Kaltura API v3 compatibility: the ``/api_v3`` protocol (parameters, XML and JSON envelopes, multirequest)
over the services, so that the official Kaltura client libraries work against this service unchanged.

``params`` and ``envelope`` know the protocol only; ``arguments`` reads typed parameters; ``actions`` maps
service and action names to the services; ``router`` holds the routes; ``analytics`` answers the Kaltura
player's beacons (``analytics.trackEvent``), which are not Kaltura-envelope actions.
"""

from gameservices.api.v3.router import router

__all__ = ["router"]
