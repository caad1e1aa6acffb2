"""Enabling and disabling a function's event source mappings, as Lambda's UpdateEventSourceMapping does.

Disabling waits until every poller has finished the batch in hand, so once it returns no
new message is taken: they wait in the queue (or the stream) until the mappings are
enabled again.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class MappingSwitch:
    def __init__(self) -> None:
        self._enabled = threading.Event()
        self._enabled.set()
        self._busy = 0
        self._idle = threading.Condition()

    @contextlib.contextmanager
    def turn(self, stop: threading.Event) -> Iterator[bool]:
        """One poll-and-invoke round of a poller; yields False while the mappings are disabled."""
        while not self._enabled.wait(0.2):
            if stop.is_set():
                yield False
                return
        with self._idle:
            self._busy += 1
        try:
            yield True
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def set_enabled(self, enabled: bool, timeout: float = 30.0) -> None:
        if enabled:
            self._enabled.set()
            return
        self._enabled.clear()
        with self._idle:
            if not self._idle.wait_for(lambda: self._busy == 0, timeout=timeout):
                raise TimeoutError("a poller did not finish its batch in time")
