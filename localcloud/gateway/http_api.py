"""A local stand-in for API Gateway HTTP APIs: payload format 2.0 to Lambda and back."""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from localcloud.emulator.identity import ACCOUNT_ID
from localcloud.gateway.jwt_authorizer import JwtRequirement, KeyCache, Refused, authorize
from localcloud.provisioning.deployment import HttpApiSpec, HttpRoute

_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "+json",
    "+xml",
)
# API Gateway's payload quota for HTTP APIs: 10 MB; a larger request is refused with 413.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Route:
    route_key: str
    method: str  # "ANY" for any method
    segments: tuple[str, ...]
    function: str
    # The integration's timeout; HTTP APIs give up on an integration after 30 s at most.
    timeout_seconds: float = 30.0
    # The route's JWT authorizer; None: anyone may call it.
    requirement: JwtRequirement | None = None

    @classmethod
    def parse(
        cls, route_key: str, function: str, timeout_seconds: float = 30.0, requirement: JwtRequirement | None = None
    ) -> Route:
        if route_key == "$default":
            return cls(route_key, "ANY", (), function, timeout_seconds, requirement)
        method, _, path = route_key.partition(" ")
        segments = tuple(s for s in path.split("/") if s)
        return cls(route_key, method.upper(), segments, function, timeout_seconds, requirement)

    @classmethod
    def of(cls, spec: HttpRoute) -> Route:
        requirement = None
        if spec.authorization_type == "JWT":
            requirement = JwtRequirement(
                issuer=spec.jwt_issuer or "",
                audiences=tuple(spec.jwt_audiences),
                identity_source=spec.identity_source or "$request.header.Authorization",
                scopes=tuple(spec.authorization_scopes),
            )
        return cls.parse(spec.route_key, spec.function, spec.timeout_ms / 1000, requirement)

    @property
    def is_default(self) -> bool:
        return self.route_key == "$default"

    def match(self, method: str, segments: list[str]) -> dict[str, str] | None:
        if self.is_default:
            return {}
        if self.method not in ("ANY", method):
            return None
        params: dict[str, str] = {}
        for index, pattern in enumerate(self.segments):
            greedy = re.fullmatch(r"\{(\w+)\+\}", pattern)
            if greedy:
                rest = segments[index:]
                if not rest:
                    return None
                params[greedy.group(1)] = "/".join(rest)
                return params
            if index >= len(segments):
                return None
            variable = re.fullmatch(r"\{(\w+)\}", pattern)
            if variable:
                params[variable.group(1)] = segments[index]
            elif pattern != segments[index]:
                return None
        return params if len(segments) == len(self.segments) else None

    def priority(self) -> tuple[int, int, int, int]:
        # API Gateway prefers literal paths, then path variables, then greedy ones,
        # a named method over ANY, and $default only when nothing else matches.
        greedy = any(s.endswith("+}") for s in self.segments)
        variables = sum(1 for s in self.segments if s.startswith("{"))
        return (int(self.is_default), int(greedy), variables, int(self.method == "ANY"))


def select_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    segments = [s for s in path.split("/") if s]
    candidates = []
    for route in routes:
        params = route.match(method, segments)
        if params is not None:
            candidates.append((route.priority(), -len(route.segments), route, params))
    if not candidates:
        return None
    _, _, route, params = min(candidates, key=lambda c: (c[0], c[1]))
    return route, params


def new_request_id() -> str:
    # The id API Gateway puts in requestContext.requestId and answers as `apigw-requestid`.
    return uuid.uuid4().hex[:15] + "="


def _is_text(content_type: str) -> bool:
    lowered = content_type.lower()
    return not lowered or any(marker in lowered for marker in _TEXT_TYPES)


def build_event(
    *,
    api_id: str,
    stage: str,
    route_key: str,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    path_parameters: dict[str, str],
    request_id: str | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload format 2.0 event."""
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        merged[key] = f"{merged[key]},{value}" if key in merged else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    now = datetime.now(UTC)
    domain = merged.get("host", "localhost").split(":")[0]
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": merged,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": request_id or new_request_id(),
            "routeKey": route_key,
            "stage": stage,
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        text = _as_text(body) if _is_text(merged.get("content-type", "")) else None
        if text is not None:
            event["body"] = text
        else:
            # A body that is not UTF-8 text reaches the function base64-encoded, byte for byte,
            # never with its bad bytes replaced (which would make it look like valid text).
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


def _as_text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def translate_result(result: Any) -> HttpResponse:
    """Turn a 2.0 handler result into an HTTP response, guessing like API Gateway does."""
    if not (isinstance(result, dict) and "statusCode" in result):
        # Without a statusCode, API Gateway treats the whole result as a JSON body.
        return HttpResponse(200, [("Content-Type", "application/json")], json.dumps(result).encode())
    headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((name, str(v)) for v in values)
    headers.extend(("Set-Cookie", c) for c in result.get("cookies") or [])
    body = result.get("body")
    if body is None:
        raw = b""
    elif result.get("isBase64Encoded"):
        raw = base64.b64decode(body)
    else:
        raw = (body if isinstance(body, str) else json.dumps(body)).encode()
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(int(result["statusCode"]), headers, raw)


class LambdaAnswer(Enum):
    """What Lambda's Invoke API gave the integration."""

    RESULT = "result"  # the function's response
    FUNCTION_ERROR = "function error"  # 200 with X-Amz-Function-Error
    THROTTLED = "throttled"  # 429 TooManyRequestsException: the invocation never ran
    TIMED_OUT = "timed out"  # no answer within the integration's timeout; the function may go on
    FAILED = "failed"  # Lambda could not be reached or refused the request otherwise


# (function name, event, integration timeout in seconds) -> Lambda's answer and its payload.
Invoke = Callable[[str, Any, float], tuple[LambdaAnswer, Any]]


def lambda_invoker(invoke_urls: dict[str, str]) -> Invoke:
    """Invoke a function through its Lambda Invoke endpoint, giving up after the integration timeout."""

    def invoke(function: str, event: Any, timeout_seconds: float) -> tuple[LambdaAnswer, Any]:
        request = urllib.request.Request(invoke_urls[function], data=json.dumps(event).encode(), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
                payload = json.loads(response.read() or b"null")
                if response.headers.get("X-Amz-Function-Error"):
                    return LambdaAnswer.FUNCTION_ERROR, payload
                return LambdaAnswer.RESULT, payload
        except urllib.error.HTTPError as error:
            return (LambdaAnswer.THROTTLED if error.code == 429 else LambdaAnswer.FAILED), None
        except TimeoutError:
            return LambdaAnswer.TIMED_OUT, None
        except urllib.error.URLError as error:
            return (LambdaAnswer.TIMED_OUT if isinstance(error.reason, TimeoutError) else LambdaAnswer.FAILED), None
        except (OSError, ValueError):
            return LambdaAnswer.FAILED, None

    return invoke


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 resets connections a burst of clients opens at once; API Gateway takes them.
    request_queue_size = 128


class HttpGateway:
    """Serves one HTTP API on 127.0.0.1; `url` is what the API's stage URL becomes locally."""

    def __init__(self, api: HttpApiSpec, invoke: Invoke, keys: KeyCache | None = None) -> None:
        self.api = api
        self._routes = [Route.of(r) for r in api.routes]
        if keys is None and any(r.requirement for r in self._routes):
            raise ValueError(f"HTTP API {api.name} has JWT authorizers: the gateway needs their issuers' keys")
        self._keys = keys
        self._invoke = invoke
        # A named stage lives under /<stage>; $default at the root.
        self.stage = "$default" if "$default" in api.stages or not api.stages else api.stages[0]
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return self.base_url + ("/" if self.stage == "$default" else f"/{self.stage}")

    def start(self) -> HttpGateway:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def handle(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
        source_ip: str,
        request_id: str | None = None,
    ) -> HttpResponse:
        parts = urlsplit(target)
        path = parts.path or "/"
        route_path = path
        if self.stage != "$default":
            prefix = f"/{self.stage}"
            if path != prefix and not path.startswith(prefix + "/"):
                return _message(404, "Not Found")
            route_path = path[len(prefix) :] or "/"
        selected = select_route(self._routes, method, route_path)
        if selected is None:
            return _message(404, "Not Found")
        route, params = selected
        authorizer = None
        if route.requirement is not None and self._keys is not None:
            try:
                authorizer = authorize(route.requirement, {k.lower(): v for k, v in headers}, self._keys)
            except Refused as refused:
                status, message = (403, "Forbidden") if refused.status == 403 else (401, "Unauthorized")
                response = _message(status, message)
                response.headers.append(("www-authenticate", refused.www_authenticate))
                return response
        event = build_event(
            api_id=self.api.id,
            stage=self.stage,
            route_key=route.route_key,
            method=method,
            raw_path=path,
            raw_query=parts.query,
            headers=headers,
            body=body,
            source_ip=source_ip,
            path_parameters=params,
            request_id=request_id,
        )
        if authorizer is not None:
            event["requestContext"]["authorizer"] = authorizer
        answer, payload = self._invoke(route.function, event, route.timeout_seconds)
        if answer is LambdaAnswer.TIMED_OUT:
            # Past the integration's timeout an HTTP API answers 503, while the function may still
            # finish (and e.g. store the order): not a 500, which would say it failed.
            return _message(503, "Service Unavailable")
        if answer is not LambdaAnswer.RESULT:
            # A function error, and an invocation Lambda refused (throttled: 429 TooManyRequestsException),
            # are both internal errors to API Gateway: 500, with no detail for the client.
            return _message(500, "Internal Server Error")
        try:
            return translate_result(payload)
        except (TypeError, ValueError):
            return _message(500, "Internal Server Error")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class GatewayHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request_id = new_request_id()
                if length > MAX_PAYLOAD_BYTES:
                    # Refused without reaching the function. The body is read and dropped first, so
                    # a client that writes it all before reading (most do) still gets the answer.
                    _discard(self.rfile, length)
                    self.close_connection = True
                    response = _message(413, "Request Entity Too Large")
                else:
                    body = self.rfile.read(length) if length else b""
                    response = gateway.handle(
                        self.command, self.path, list(self.headers.items()), body, self.client_address[0], request_id
                    )
                self.send_response(response.status)
                for name, value in response.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.send_header("apigw-requestid", request_id)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(response.body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        for method in _METHODS:
            setattr(GatewayHandler, f"do_{method}", GatewayHandler._serve)
        return GatewayHandler


def _discard(stream: Any, length: int) -> None:
    remaining = length
    while remaining > 0:
        chunk = stream.read(min(remaining, 1 << 20))
        if not chunk:
            return
        remaining -= len(chunk)


def _message(status: int, message: str) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], json.dumps({"message": message}).encode())
