"""An attempt ends within its deadline however slowly its webhook's host resolves: resolving the host (done again
before every attempt, docs/webhooks.md "Outbound rules") is part of the attempt's 10 seconds. The lease that keeps
another dispatcher from sending the same delivery again is sized on attempts that each end within the timeout; an
endpoint whose name server answers slowly must not hold an attempt past it."""

import ipaddress
import time

from gameservices.storage.webhook_deliveries import Attempt
from gameservices.webhooks.sender import Sender
from gameservices.webhooks.signing import new_secret
from gameservices.webhooks.targets import TargetPolicy
from tests.webhooks.receiver import Receiver


def test_a_slowly_resolving_host_does_not_stretch_the_attempt_past_its_deadline(receiver: Receiver) -> None:
    def slow_resolver(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        time.sleep(3.0)  # a name server that takes its time
        return [ipaddress.ip_address("127.0.0.1")]

    port = receiver.url.split(":")[2].split("/")[0]
    url = f"http://slow.example:{port}/hook"
    attempt = Attempt("msg_1", 1, "hook", url, b'{"type":"score.changed"}', 1, "lease", (new_secret(),))
    sender = Sender(TargetPolicy(allow_private=True, resolve=slow_resolver), timeout=1.0)
    try:
        started = time.monotonic()
        sent = sender.send(attempt)
        took = time.monotonic() - started
    finally:
        sender.close()
    assert took < 2.0, f"an attempt with a 1 s deadline took {took:.1f} s ({sent})"
