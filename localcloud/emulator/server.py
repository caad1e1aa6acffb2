"""The moto server, run in its own process with localcloud's fixes to moto (patches/).

`python -m localcloud.emulator.server --port 0` prints `LOCALCLOUD_MOTO_READY <port>`
once it listens. `MotoServer` starts that process and waits for the line.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Collection
from pathlib import Path
from types import TracebackType

from localcloud.emulator.identity import DUMMY_CREDENTIALS, REGION
from localcloud.processes import exit_with_parent, stop_process

READY_MARKER = "LOCALCLOUD_MOTO_READY"
_REPO_ROOT = Path(__file__).resolve().parents[2]


class MotoServerError(RuntimeError):
    pass


class MotoServer:
    """A patched moto server in a subprocess on 127.0.0.1."""

    def __init__(
        self,
        log_file: Path | None = None,
        start_timeout: float = 30.0,
        without_patches: Collection[str] = (),
    ) -> None:
        self._log_file = log_file
        self._without_patches = tuple(without_patches)
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[str] | None = None
        self._port: int | None = None
        self._output: list[str] = []

    @property
    def endpoint_url(self) -> str:
        if self._port is None:
            raise MotoServerError("moto server is not running")
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> MotoServer:
        env = {**os.environ, **DUMMY_CREDENTIALS, "AWS_DEFAULT_REGION": REGION}
        env["PYTHONPATH"] = os.pathsep.join([str(_REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
        env["PYTHONUNBUFFERED"] = "1"
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "localcloud.emulator.server",
                "--port",
                "0",
                *(f"--without-patch={name}" for name in self._without_patches),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,
        )
        ready = threading.Event()
        threading.Thread(target=self._pump_output, args=(ready,), daemon=True).start()
        deadline = time.monotonic() + self._start_timeout
        while not ready.wait(0.05):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = "".join(self._output[-30:])
                raise MotoServerError(f"moto server did not start:\n{tail}")
        self._wait_until_answering(deadline)
        return self

    def _pump_output(self, ready: threading.Event) -> None:
        assert self._process is not None and self._process.stdout is not None
        sink = self._log_file.open("a", encoding="utf-8") if self._log_file else None
        try:
            for line in self._process.stdout:
                if line.startswith(READY_MARKER):
                    self._port = int(line.split()[1])
                    ready.set()
                    continue
                self._output.append(line)
                del self._output[:-200]
                if sink:
                    sink.write(line)
                    sink.flush()
        finally:
            if sink:
                sink.close()

    def _wait_until_answering(self, deadline: float) -> None:
        while True:
            try:
                with urllib.request.urlopen(f"{self.endpoint_url}/moto-api/", timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise MotoServerError("moto server does not answer") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            stop_process(self._process)
            self._process = None
        self._port = None

    @property
    def process_id(self) -> int | None:
        return None if self._process is None else self._process.pid

    def __enter__(self) -> MotoServer:
        return self.start() if self._process is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _quiet_request_handler() -> type:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietRequestHandler(MotoRequestHandler):
        """Logs a request only when the server failed it (5xx, with werkzeug's traceback beside it).

        A line per request, written and then pumped into moto.log by the parent, cost about a
        tenth of the server's CPU under load; refusals (4xx) are answers the clients see."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if str(getattr(code, "value", code)).startswith("5"):
                super().log_request(code, size)

    return QuietRequestHandler


def _serve(port: int, without_patches: Collection[str]) -> None:
    from localcloud.emulator import faults, lambda_forwarding, patches
    from localcloud.emulator.patches import stepfunctions_executions

    patches.apply(without=without_patches)
    faults.apply()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    quiet_handler = _quiet_request_handler()

    # moto's ThreadedMotoServer, with the fault-injection control in front of its app, and in front
    # of both, Lambda's requests passed to the function host.
    app = lambda_forwarding.forwarding(faults.control(DomainDispatcherApplication(create_backend_app)))
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=quiet_handler)
    # Step Functions' task integrations call AWS back here (Lambda's Invoke reaches the function host).
    stepfunctions_executions.listening_on(server.server_address[1])
    threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    exit_with_parent(stopped.set)
    print(f"{READY_MARKER} {server.server_address[1]}", flush=True)
    stopped.wait()
    server.shutdown()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="moto server with localcloud patches")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--without-patch",
        action="append",
        default=[],
        metavar="NAME",
        help="leave one of localcloud/emulator/patches out (to measure stock moto)",
    )
    args = parser.parse_args(argv)
    _serve(args.port, args.without_patch)


if __name__ == "__main__":
    main()
