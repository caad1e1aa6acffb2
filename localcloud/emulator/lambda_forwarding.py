"""Lambda's requests to the moto server go to the function host, which runs the functions.

moto stores no functions here (it cannot run them without Docker); the function host
serves Invoke and Lambda's control plane for the deployed ones. Once the host has said
where it listens (a PUT to LAMBDA_ENDPOINT_PATH), every request signed for the `lambda`
service for an operation the host serves is passed to it as it came, and its answer back
as it went, so one AWS_ENDPOINT_URL serves an AWS CLI, boto3 and the e2e suite alike.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

# Not an AWS path: how the function host tells the moto server where it listens.
LAMBDA_ENDPOINT_PATH = "/_localcloud/lambda-endpoint"
# What the function host serves (control_plane.py, invoke_api.py): every other Lambda operation is moto's.
_SERVED = tuple(
    (method, re.compile(pattern))
    for method, pattern in [
        ("GET", r"^/2015-03-31/functions/?$"),
        ("GET", r"^/2015-03-31/functions/[^/]+/?$"),
        ("GET", r"^/2015-03-31/functions/[^/]+/configuration/?$"),
        ("POST", r"^/2015-03-31/functions/[^/]+/invocations/?$"),
        ("GET", r"^/2015-03-31/event-source-mappings/?$"),
        ("GET", r"^/2015-03-31/event-source-mappings/[^/]+/?$"),
        ("PUT", r"^/2015-03-31/event-source-mappings/[^/]+/?$"),
        ("PUT", r"^/2017-10-31/functions/[^/]+/concurrency/?$"),
        ("DELETE", r"^/2017-10-31/functions/[^/]+/concurrency/?$"),
        ("GET", r"^/2019-09-30/functions/[^/]+/concurrency/?$"),
    ]
)
_SIGNED_FOR_LAMBDA = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/lambda/aws4_request")
# An Invoke waits for its function: as long as the longest Lambda timeout, and some.
_FORWARD_TIMEOUT_SECONDS = 960
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "host", "date", "server"})

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def register_lambda_endpoint(moto_endpoint: str, lambda_endpoint: str | None) -> None:
    """Tell the moto server at `moto_endpoint` where Lambda's requests go (None: nowhere any more)."""
    request = urllib.request.Request(
        moto_endpoint.rstrip("/") + LAMBDA_ENDPOINT_PATH,
        data=json.dumps({"url": lambda_endpoint}).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def forwarding(app: WsgiApp) -> WsgiApp:
    target: dict[str, str | None] = {"url": None}
    lock = threading.Lock()

    def forward_lambda(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == LAMBDA_ENDPOINT_PATH and environ.get("REQUEST_METHOD") == "PUT":
            body = _body(environ)
            with lock:
                target["url"] = json.loads(body or b"{}").get("url")
            start_response("204 No Content", [])
            return [b""]
        with lock:
            url = target["url"]
        signed_for_lambda = _SIGNED_FOR_LAMBDA.search(environ.get("HTTP_AUTHORIZATION", ""))
        method = environ.get("REQUEST_METHOD", "GET")
        served = any(method == m and pattern.match(path) for m, pattern in _SERVED)
        if url is None or not signed_for_lambda or not served:
            return app(environ, start_response)
        return _forward(url, environ, start_response)

    return forward_lambda


def _body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _forward(url: str, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    # The path exactly as sent (an ARN's colons stay percent-encoded), with its query.
    raw_path = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if not raw_path:
        query = environ.get("QUERY_STRING")
        raw_path = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
    headers = {
        key[5:].replace("_", "-").title(): value
        for key, value in environ.items()
        if key.startswith("HTTP_") and key[5:].replace("_", "-").lower() not in _HOP_BY_HOP
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    body = _body(environ)
    request = urllib.request.Request(
        url.rstrip("/") + raw_path,
        data=body if body or environ.get("REQUEST_METHOD") in ("PUT", "POST") else None,
        method=environ.get("REQUEST_METHOD", "GET"),
        headers=headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=_FORWARD_TIMEOUT_SECONDS) as response:
            status, answer_headers, payload = response.status, response.headers.items(), response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, payload = error.code, error.headers.items(), error.read()
    kept = [(k, v) for k, v in answer_headers if k.lower() not in _HOP_BY_HOP]
    start_response(f"{status} {HTTPStatus(status).phrase}", [*kept, ("Content-Length", str(len(payload)))])
    return [payload]
