"""Enabling and disabling an event source mapping's poller, as Lambda's UpdateEventSourceMapping does.

Disabling waits until every batch in flight has finished, so once it returns no new
message is taken: they wait in the queue (or the stream) until the mappings are
enabled again.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class MappingSwitch:
    def __init__(self, enabled: bool = True) -> None:
        self._enabled = threading.Event()
        if enabled:
            self._enabled.set()
        self._busy = 0
        self._idle = threading.Condition()

    def enter(self, stop: threading.Event) -> bool:
        """Start a poll-and-invoke round; waits while the mappings are disabled, False once stopping.

        A True must be matched by one `leave()`, from whichever thread finishes the batch."""
        while True:
            # Checked and counted under one lock, so a disable never misses a round starting.
            with self._idle:
                if self._enabled.is_set():
                    self._busy += 1
                    return True
            if stop.is_set():
                return False
            self._enabled.wait(0.2)

    def leave(self) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    @contextlib.contextmanager
    def turn(self, stop: threading.Event) -> Iterator[bool]:
        """One round on the caller's thread; yields False while stopping."""
        if not self.enter(stop):
            yield False
            return
        try:
            yield True
        finally:
            self.leave()

    def set_enabled(self, enabled: bool, timeout: float = 30.0) -> None:
        if enabled:
            self._enabled.set()
            return
        with self._idle:
            self._enabled.clear()
            if not self._idle.wait_for(lambda: self._busy == 0, timeout=timeout):
                raise TimeoutError("a batch in flight did not finish in time")
