"""Stopping child processes politely, then firmly."""

from __future__ import annotations

import os
import signal
import subprocess


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
