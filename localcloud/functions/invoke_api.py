"""The Lambda Invoke API: POST /2015-03-31/functions/<name>/invocations.

The function host serves it for every function (throttling beyond a function's
concurrency as Lambda does), and beside it Lambda's control plane for those functions
and their event source mappings (control_plane.py); each instance serves Invoke for
its own handler.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from localcloud.functions.instance import REQUEST_ID_HEADER
from localcloud.functions.mappings import ControlPlaneError
from localcloud.lambda_runtime.invoker import Invocation


class TooManyRequests(Exception):
    """Lambda's TooManyRequestsException: the function is at its concurrency limit."""

    def __init__(self, reason: str) -> None:
        super().__init__("Rate Exceeded.")
        # Lambda's ThrottleReason, e.g. ReservedFunctionConcurrentInvocationLimitExceeded.
        self.reason = reason


class Invocable(Protocol):
    def __call__(self, event: Any, request_id: str | None, wait: bool) -> Invocation:
        """Run one invocation. `wait` False (a synchronous caller) throttles instead of queueing."""
        ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 would reset connections when a burst of requests arrives at once.
    request_queue_size = 128


class ControlPlane(Protocol):
    def handles(self, method: str, path: str) -> bool: ...

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        """Lambda's status and body; raises ControlPlaneError for Lambda's error answers."""
        ...


def serve_invocations(
    find: Callable[[str], Invocable | None], control_plane: ControlPlane | None = None
) -> ThreadingHTTPServer:
    """Start serving on a free port of 127.0.0.1; the caller reads `server_address`."""

    class InvokeHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._control_plane("GET")

        def do_PUT(self) -> None:
            self._control_plane("PUT")

        def do_DELETE(self) -> None:
            self._control_plane("DELETE")

        def _control_plane(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if control_plane is None or not control_plane.handles(method, self.path):
                unknown = {"x-amzn-ErrorType": "UnknownOperationException"}
                self._reply(404, {"Type": "User", "message": "Unknown path"}, unknown)
                return
            try:
                status, body = control_plane.answer(method, self.path, raw)
            except ControlPlaneError as error:
                self._reply(error.status, error.body, {"x-amzn-ErrorType": error.code})
                return
            self._reply(status, body, {"X-Amzn-RequestId": str(uuid.uuid4())})

        def do_POST(self) -> None:
            # A FunctionName may be an ARN, its colons percent-encoded by the SDK (Step Functions' tasks name ARNs).
            parts = [urllib.parse.unquote(part) for part in self.path.split("?")[0].strip("/").split("/")]
            if len(parts) != 4 or parts[:2] != ["2015-03-31", "functions"] or parts[3] != "invocations":
                self._reply(404, {"Type": "User", "message": "Unknown path"})
                return
            invoke = find(parts[2])
            if invoke is None:
                not_found = {"x-amzn-ErrorType": "ResourceNotFoundException"}
                self._reply(404, {"Type": "User", "message": f"Function not found: {parts[2]}"}, not_found)
                return
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                event = json.loads(raw) if raw else {}
            except ValueError:
                self._reply(400, {"Type": "User", "message": "Could not parse request body into json"})
                return
            invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
            if invocation_type == "DryRun":
                self._reply(204, None)
                return
            if invocation_type == "Event":
                # Lambda queues an asynchronous event and retries a throttled one, so it waits here.
                threading.Thread(target=invoke, args=(event, None, True), daemon=True).start()
                self._reply(202, None)
                return
            try:
                invocation = invoke(event, self.headers.get(REQUEST_ID_HEADER), False)
            except TooManyRequests as throttled:
                self._reply(
                    429,
                    {"Reason": throttled.reason, "Type": "User", "message": str(throttled)},
                    {"x-amzn-ErrorType": "TooManyRequestsException"},
                )
                return
            headers = {"X-Amz-Executed-Version": "$LATEST", "X-Amzn-RequestId": invocation.request_id}
            if invocation.failed:
                headers["X-Amz-Function-Error"] = "Unhandled"
                self._reply(200, invocation.error, headers)
            else:
                self._reply(200, invocation.result, headers)

        def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            # Invoke's 202 (an event queued) has no body; UpdateEventSourceMapping's 202 has one.
            payload = b"" if status in (202, 204) and body is None else json.dumps(body).encode()
            # Lambda names a request id in every answer, errors included (Step Functions cites it in a cause).
            headers = {"X-Amzn-RequestId": str(uuid.uuid4()), **(headers or {})}
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                # The caller gave up (an API Gateway integration timeout); the invocation still ran.
                pass

        def log_message(self, format: str, *args: Any) -> None:
            # Lambda's own START/END/REPORT lines already trace every invocation.
            return

    server = _Server(("127.0.0.1", 0), InvokeHandler)
    threading.Thread(target=server.serve_forever, name="invoke-server", daemon=True).start()
    return server
