"""Lambda's control plane for the functions the host runs: list and get functions, list, get and
update event source mappings, put, get and delete a function's reserved concurrency (0 throttles
every invocation, as Lambda does), with Lambda's paths, response shapes and error codes.

Served beside Invoke on the function host's endpoint (and through the moto server's, see
localcloud/emulator/lambda_forwarding.py), so a boto3 `lambda` client, the AWS CLI and the e2e
suite's pauses use one API on either.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from localcloud.emulator.identity import ACCOUNT_ID, REGION
from localcloud.functions.mappings import LiveMapping, invalid, not_found
from localcloud.provisioning.deployment import DeployedFunction

API_VERSION = "2015-03-31"
# Lambda's concurrency operations live under their own API versions (botocore's lambda model).
PUT_CONCURRENCY_VERSION = "2017-10-31"
GET_CONCURRENCY_VERSION = "2019-09-30"
# Lambda's bounds for ReservedConcurrentExecutions (the account's limit is the embedded cloud's own).
_MAX_RESERVED = 1000
# A function by name, ARN or partial ARN (123456789012:function:name), optionally qualified.
_FUNCTION_REFERENCE = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?"
    r"(?P<name>[A-Za-z0-9_-]{1,64})(?::(?P<qualifier>[A-Za-z0-9$_-]+))?$"
)


class LambdaControlPlane:
    def __init__(
        self,
        functions: list[DeployedFunction],
        mappings: list[LiveMapping],
        reserved_concurrency: dict[str, int | None],
        set_reserved: Callable[[str, int | None], None] = lambda name, reserved: None,
    ) -> None:
        self._functions = {function.name: function for function in functions}
        self._mappings = {mapping.uuid: mapping for mapping in mappings}
        self._reserved = reserved_concurrency
        self._set_reserved = set_reserved
        self._code_digests: dict[str, tuple[int, str]] = {}

    def handles(self, method: str, path: str) -> bool:
        parts = path.split("?")[0].strip("/").split("/")
        if _is_concurrency(parts):
            version = GET_CONCURRENCY_VERSION if method == "GET" else PUT_CONCURRENCY_VERSION
            return parts[0] == version and method in ("GET", "PUT", "DELETE")
        if len(parts) < 2 or parts[0] != API_VERSION:
            return False
        if parts[1] == "functions":
            return method == "GET" and (len(parts) in (2, 3) or (len(parts) == 4 and parts[3] == "configuration"))
        if parts[1] == "event-source-mappings":
            return (method == "GET" and len(parts) in (2, 3)) or (method == "PUT" and len(parts) == 3)
        return False

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        """Lambda's status and body for a request `handles` accepted; errors as ControlPlaneError."""
        route, _, query_string = path.partition("?")
        parts = [urllib.parse.unquote(part) for part in route.strip("/").split("/")]
        query = {key: values[-1] for key, values in urllib.parse.parse_qs(query_string).items()}
        if _is_concurrency(parts):
            return self._concurrency(method, self._function(parts[2]), body)
        if parts[1] == "functions":
            if len(parts) == 2:
                return 200, self._list_functions(query)
            function = self._function(parts[2], query.get("Qualifier"))
            if len(parts) == 4:
                return 200, self._configuration(function)
            return 200, self._get_function(function)
        if len(parts) == 2:
            return 200, self._list_mappings(query)
        mapping = self._mapping(parts[2])
        if method == "GET":
            return 200, mapping.configuration()
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            raise invalid("Could not parse request body into json") from None
        if not isinstance(request, dict):
            raise invalid("The request body must be a JSON object")
        if "FunctionName" in request and self._function(request["FunctionName"]).arn != mapping.function_arn:
            raise invalid("The embedded cloud does not move an event source mapping to another function")
        return 202, mapping.update(request)

    def _concurrency(self, method: str, function: DeployedFunction, body: bytes) -> tuple[int, Any]:
        if method == "GET":
            reserved = self._reserved.get(function.name)
            return 200, {} if reserved is None else {"ReservedConcurrentExecutions": reserved}
        if method == "DELETE":
            self._reserved[function.name] = None
            self._set_reserved(function.name, None)
            return 204, None
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            raise invalid("Could not parse request body into json") from None
        reserved = request.get("ReservedConcurrentExecutions") if isinstance(request, dict) else None
        if not isinstance(reserved, int) or isinstance(reserved, bool) or not 0 <= reserved <= _MAX_RESERVED:
            raise invalid(f"ReservedConcurrentExecutions must be between 0 and {_MAX_RESERVED}, not {reserved!r}")
        self._reserved[function.name] = reserved
        self._set_reserved(function.name, reserved)
        return 200, {"ReservedConcurrentExecutions": reserved}

    def _function(self, reference: str, qualifier: str | None = None) -> DeployedFunction:
        match = _FUNCTION_REFERENCE.match(reference)
        function = self._functions.get(match.group("name")) if match else None
        qualifier = qualifier or (match.group("qualifier") if match else None)
        if function is None or qualifier not in (None, "$LATEST"):
            raise not_found(f"Function not found: {_arn_of(reference, function)}")
        return function

    def _mapping(self, uuid: str) -> LiveMapping:
        try:
            return self._mappings[uuid]
        except KeyError:
            raise not_found("The resource you requested does not exist.") from None

    def _list_functions(self, query: dict[str, str]) -> dict[str, Any]:
        functions = [self._configuration(f) for f in sorted(self._functions.values(), key=lambda f: f.name)]
        return _page(functions, "Functions", query, default_size=50)

    def _list_mappings(self, query: dict[str, str]) -> dict[str, Any]:
        mappings = sorted(self._mappings.values(), key=lambda m: m.uuid)
        if "FunctionName" in query:
            match = _FUNCTION_REFERENCE.match(query["FunctionName"])
            function = self._functions.get(match.group("name")) if match else None
            mappings = [m for m in mappings if function is not None and m.function_arn == function.arn]
        if "EventSourceArn" in query:
            mappings = [m for m in mappings if m.spec.event_source_arn == query["EventSourceArn"]]
        return _page([m.configuration() for m in mappings], "EventSourceMappings", query, default_size=100)

    def _get_function(self, function: DeployedFunction) -> dict[str, Any]:
        answer: dict[str, Any] = {"Configuration": self._configuration(function), "Code": {"RepositoryType": "S3"}}
        reserved = self._reserved.get(function.name)
        if reserved is not None:
            answer["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
        return answer

    def _configuration(self, function: DeployedFunction) -> dict[str, Any]:
        size, digest = self._code_digest(function)
        deployed = datetime.fromtimestamp(Path(function.code_dir).stat().st_mtime, UTC)
        return {
            "FunctionName": function.name,
            "FunctionArn": function.arn,
            "Runtime": function.runtime,
            "Role": function.role,
            "Handler": function.handler,
            "CodeSize": size,
            "Description": "",
            "Timeout": function.timeout,
            "MemorySize": function.memory_size,
            "LastModified": deployed.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
            "CodeSha256": digest,
            "Version": "$LATEST",
            "Environment": {"Variables": dict(function.environment)},
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": hashlib.md5(f"{function.arn}{digest}".encode()).hexdigest(),
            "Layers": [{"Arn": layer, "CodeSize": 0} for layer in function.layers],
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": ["x86_64"],
            "EphemeralStorage": {"Size": 512},
            "LoggingConfig": {
                "LogFormat": function.log_format,
                "LogGroup": function.log_group,
                # Lambda reports a system log level for the JSON format only.
                **({"SystemLogLevel": function.system_log_level} if function.log_format == "JSON" else {}),
            },
        }

    def _code_digest(self, function: DeployedFunction) -> tuple[int, str]:
        # Lambda's CodeSha256 is the zip's; the embedded cloud has the unpacked files, so it digests those.
        if function.name not in self._code_digests:
            digest, size = hashlib.sha256(), 0
            for path in sorted(p for p in Path(function.code_dir).rglob("*") if p.is_file()):
                content = path.read_bytes()
                digest.update(str(path.relative_to(function.code_dir)).encode() + b"\0" + content)
                size += len(content)
            self._code_digests[function.name] = (size, base64.b64encode(digest.digest()).decode())
        return self._code_digests[function.name]


def _is_concurrency(parts: list[str]) -> bool:
    return len(parts) == 4 and parts[1] == "functions" and parts[3] == "concurrency"


def _arn_of(reference: str, function: DeployedFunction | None) -> str:
    if function is not None:
        return function.arn
    if reference.startswith("arn:"):
        return reference
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{reference.rsplit(':', 1)[-1]}"


def _page(items: list[dict[str, Any]], key: str, query: dict[str, str], default_size: int) -> dict[str, Any]:
    try:
        size = int(query.get("MaxItems", default_size))
        start = int(query.get("Marker") or 0)
    except ValueError:
        raise invalid("MaxItems and Marker must be those of an earlier answer") from None
    if not 1 <= size <= 10000 or start < 0:
        raise invalid(f"MaxItems must be between 1 and 10000, not {size}")
    page: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        page["NextMarker"] = str(start + size)
    return page
