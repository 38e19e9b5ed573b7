"""An attempt takes its timeout in all, whatever the receiver does: one trickling its answer's headers a byte at a
time (each byte well within httpx's per-read timeout) is cut off at the attempt's deadline."""

import base64
import time

from gameservices.storage.webhook_deliveries import Attempt
from gameservices.webhooks.sender import Sender
from gameservices.webhooks.targets import TargetPolicy
from tests.webhooks.receiver import Receiver

SECRET = "whsec_" + base64.b64encode(b"s" * 24).decode()


def _attempt(url: str) -> Attempt:
    return Attempt("msg_1", 1, "hook", url, b'{"type":"score.changed"}', 1, "lease", (SECRET,))


def test_a_receiver_trickling_its_headers_is_cut_off_at_the_deadline(receiver: Receiver) -> None:
    receiver.trickle = 0.05  # about 12 s for the whole answer; no pause near the 1 s per-read timeout
    sender = Sender(TargetPolicy(allow_private=True), timeout=1.0)
    try:
        started = time.monotonic()
        sent = sender.send(_attempt(receiver.url))
        took = time.monotonic() - started
    finally:
        sender.close()
    assert sent.status_code is None and sent.error == "timed out after 1 s", sent
    assert 0.9 <= took < 2.0, took
    assert len(receiver.requests) == 1


def test_an_answer_within_the_deadline_is_read_and_each_attempt_has_a_deadline_of_its_own(
    receiver: Receiver,
) -> None:
    receiver.trickle = 0.001  # about a quarter of a second
    sender = Sender(TargetPolicy(allow_private=True), timeout=1.0)
    try:
        first = sender.send(_attempt(receiver.url))
        time.sleep(1.0)  # past the first attempt's deadline
        second = sender.send(_attempt(receiver.url))  # fails if it were still bound by the first one's
    finally:
        sender.close()
    assert first.delivered and second.delivered, (first, second)
