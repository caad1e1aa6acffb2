"""Stopping child processes politely, then firmly."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable


def stop_process(process: subprocess.Popen[str], grace_seconds: float = 3.0) -> None:
    if process.poll() is not None:
        return
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        # Children run in their own session; kill the group so nothing is orphaned.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            process.kill()
        process.wait(timeout=grace_seconds)
    except ProcessLookupError:
        pass


def exit_with_parent(on_orphaned: Callable[[], None], interval: float = 1.0) -> None:
    """Call `on_orphaned` once the process that started us is gone.

    A parent killed with SIGKILL cannot stop its children; this keeps moto and
    function processes from outliving it.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        on_orphaned()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
