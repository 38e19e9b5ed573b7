"""Per-webhook lanes of a dispatcher: how many attempts of each webhook it holds (claimed, not yet finished) and a
gate that lets at most ``sending`` of them be sent at once.

One webhook's backlog thus cannot take every place of the dispatcher (the claims of a webhook stop at ``holding``),
and a fast receiver is not sent to by more threads than it needs: every sender thread runs Python code under one
interpreter lock, and past a few threads at work they mostly wait for each other (measured in
docs/performance.md, B24). Attempts held beyond the gate wait their turn, at most ``holding / sending - 1`` attempt
times, well within the lease.
"""

import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from gameservices.storage.webhook_deliveries import Attempt


class Lanes:
    """The attempts a dispatcher holds, by webhook, and their send gates; safe to share between threads."""

    def __init__(self, *, sending: int, holding: int) -> None:
        self.sending, self.holding = sending, holding
        self._lock = threading.Lock()
        self._held: Counter[str] = Counter()
        self._gates: dict[str, threading.Semaphore] = {}

    def held(self) -> dict[str, int]:
        """Attempts held now, by webhook id."""
        with self._lock:
            return dict(self._held)

    def hold(self, attempts: Sequence[Attempt]) -> None:
        """Count claimed attempts as held."""
        with self._lock:
            for attempt in attempts:
                self._held[attempt.webhook_id] += 1
                if attempt.webhook_id not in self._gates:
                    self._gates[attempt.webhook_id] = threading.Semaphore(self.sending)

    @contextmanager
    def turn(self, attempt: Attempt) -> Iterator[None]:
        """Wait for the attempt's turn to be sent; the attempt is no longer held once the block ends."""
        with self._lock:
            gate = self._gates[attempt.webhook_id]
        try:
            with gate:
                yield
        finally:
            self._release(attempt.webhook_id)

    def _release(self, webhook_id: str) -> None:
        with self._lock:
            self._held[webhook_id] -= 1
            if self._held[webhook_id] <= 0:
                # Nobody waits at the gate of a webhook with nothing held: it can go.
                del self._held[webhook_id]
                del self._gates[webhook_id]
