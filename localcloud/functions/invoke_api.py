"""The Lambda Invoke API for one function: POST /2015-03-31/functions/<name>/invocations."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from localcloud.event_sources.switch import MappingSwitch
from localcloud.lambda_runtime.invoker import FunctionInvoker

INVOKE_PATH = "/2015-03-31/functions/{name}/invocations"
# Not an AWS path: the function host's own lever for UpdateEventSourceMapping(Enabled=...).
MAPPINGS_PATH = "/localcloud/event-source-mappings"


def serve_invocations(invoker: FunctionInvoker, names: set[str], switch: MappingSwitch) -> ThreadingHTTPServer:
    """Start serving on a free port of 127.0.0.1; the caller reads `server_address`."""

    class InvokeHandler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            if self.path != MAPPINGS_PATH:
                self._reply(404, {"Type": "User", "message": "Unknown path"})
                return
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            switch.set_enabled(bool(body["enabled"]))
            self._reply(200, {"enabled": bool(body["enabled"])})

        def do_POST(self) -> None:
            parts = self.path.split("?")[0].strip("/").split("/")
            if len(parts) != 4 or parts[:2] != ["2015-03-31", "functions"] or parts[3] != "invocations":
                self._reply(404, {"Type": "User", "message": "Unknown path"})
                return
            if parts[2] not in names:
                self._reply(404, {"Type": "User", "message": f"Function not found: {parts[2]}"})
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
                threading.Thread(target=invoker.invoke, args=(event,), daemon=True).start()
                self._reply(202, None)
                return
            invocation = invoker.invoke(event)
            headers = {"X-Amz-Executed-Version": "$LATEST", "X-Amzn-RequestId": invocation.request_id}
            if invocation.failed:
                headers["X-Amz-Function-Error"] = "Unhandled"
                self._reply(200, invocation.error, headers)
            else:
                self._reply(200, invocation.result, headers)

        def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            payload = b"" if status in (202, 204) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            # Lambda's own START/END/REPORT lines already trace every invocation.
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), InvokeHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="invoke-server", daemon=True).start()
    return server
