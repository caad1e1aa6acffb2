"""Fault injection inside the moto server, for chaos runs: off until a plan is PUT to FAULTS_PATH.

Each fault is one AWS behaviour a production system must survive, injected behind AWS's
own API so that handlers see exactly what they would see on AWS:

- duplicate delivery: SQS delivers a message again after the consumer deleted it (SQS
  standard queues are at-least-once);
- delivery delay: a message sent to a queue is held back, so later events overtake it;
- PutEvents partial failure: an entry is refused with InternalFailure while the call
  answers 200 with FailedEntryCount > 0;
- DynamoDB throttling: ProvisionedThroughputExceededException, which the SDK retries
  before the caller sees it.

Only requests signed with the system's access key (FaultPlan.SYSTEM_ACCESS_KEY) are
eligible, so whoever checks the outcome reads an undisturbed emulator. The decisions
come from one seeded random stream per kind.
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from localcloud.faults.plan import SYSTEM_ACCESS_KEY, FaultPlan

# Not an AWS path: the chaos run's lever, served by the moto server process only.
FAULTS_PATH = "/_localcloud/faults"

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
# DynamoDB's data plane: what a handler does with its tables (control-plane calls are left alone).
_DYNAMODB_DATA_PLANE = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
_THROTTLED = json.dumps(
    {
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
    }
).encode()


class _Faults:
    """The plan in force, its random streams, and what was injected since the server started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.plan = FaultPlan()
        self._streams: dict[str, random.Random] = {}
        self.injected: Counter[str] = Counter()
        self._request = threading.local()

    def configure(self, plan: FaultPlan) -> None:
        with self._lock:
            self.plan = plan
            # One stream per kind: adding a fault kind to a plan does not shift the others' draws.
            self._streams = {}

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"plan": self.plan.to_json(), "injected": dict(self.injected)}

    def eligible(self) -> bool:
        return getattr(self._request, "eligible", False)

    def draw(self, kind: str) -> bool:
        """Whether this eligible request gets the fault `kind`; counts it when it does."""
        rate = getattr(self.plan, kind)
        if not rate or not self.eligible():
            return False
        with self._lock:
            stream = self._streams.setdefault(kind, random.Random(f"{self.plan.seed}:{kind}"))
            hit = stream.random() < rate
            if hit:
                self.injected[kind] += 1
            return hit

    def delay_seconds(self) -> int:
        with self._lock:
            stream = self._streams.setdefault("delay-length", random.Random(f"{self.plan.seed}:delay-length"))
            return stream.randint(1, max(1, self.plan.max_delay_seconds))

    def serving(self, eligible: bool) -> _Serving:
        return _Serving(self._request, eligible)


class _Serving:
    def __init__(self, local: threading.local, eligible: bool) -> None:
        self._local = local
        self._eligible = eligible

    def __enter__(self) -> None:
        self._local.eligible = self._eligible

    def __exit__(self, *exc: object) -> None:
        self._local.eligible = False


FAULTS = _Faults()

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def control(app: WsgiApp) -> WsgiApp:
    """Wrap moto's WSGI app: serve FAULTS_PATH, throttle DynamoDB, mark requests eligible for faults."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == FAULTS_PATH:
            return _serve_control(environ, start_response)
        eligible = FAULTS.plan.emulator_faults and _access_key(environ) == SYSTEM_ACCESS_KEY
        if eligible and _is_dynamodb_data_plane(environ):
            with FAULTS.serving(eligible):
                throttled = FAULTS.draw("dynamodb_throttling")
            if throttled:
                start_response(
                    "400 Bad Request",
                    [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(_THROTTLED)))],
                )
                return [_THROTTLED]
        with FAULTS.serving(eligible):
            # moto builds the whole response inside this call, so the mark covers all its work.
            return list(app(environ, start_response))

    return application


def _serve_control(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    if method == "PUT":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            FAULTS.configure(FaultPlan.from_json(json.loads(environ["wsgi.input"].read(length) or b"{}")))
        except (ValueError, TypeError) as error:
            return _reply(start_response, "400 Bad Request", {"message": str(error)})
    elif method != "GET":
        return _reply(start_response, "405 Method Not Allowed", {"message": "GET or PUT"})
    return _reply(start_response, "200 OK", FAULTS.status())


def _reply(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def _access_key(environ: dict[str, Any]) -> str | None:
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else None


def _is_dynamodb_data_plane(environ: dict[str, Any]) -> bool:
    service, _, action = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
    return service.startswith("DynamoDB_") and action in _DYNAMODB_DATA_PLANE


def apply() -> None:
    """Patch the moto backends; a no-op for every request until a plan turns faults on."""
    _refuse_put_events_entries()
    _deliver_deleted_messages_again()
    _hold_back_sent_messages()


def _refuse_put_events_entries() -> None:
    # Patched on the API handler, not the backend: a rule forwarding to another bus calls the
    # backend too, and AWS never reports (or loses) a forward as a caller's failed entry.
    from moto.events.responses import EventsHandler

    original = EventsHandler.put_events

    def put_events(self: EventsHandler) -> str:
        if not FAULTS.eligible():
            return original(self)
        entries = self._get_param("Entries")
        refused = {index for index in range(len(entries)) if FAULTS.draw("put_events_failure")}
        if not refused:
            return original(self)
        kept = [entry for index, entry in enumerate(entries) if index not in refused]
        results = iter(self.events_backend.put_events(kept) if kept else [])
        answered = [
            {"ErrorCode": "InternalFailure", "ErrorMessage": "Internal Service Error."}
            if index in refused
            else next(results)
            for index in range(len(entries))
        ]
        return json.dumps({"FailedEntryCount": sum("ErrorCode" in entry for entry in answered), "Entries": answered})

    EventsHandler.put_events = put_events  # type: ignore[method-assign]


def _deliver_deleted_messages_again() -> None:
    from moto.sqs.models import SQSBackend

    original = SQSBackend.delete_message

    def delete_message(self: SQSBackend, queue_name: str, receipt_handle: str) -> None:
        message = None
        if FAULTS.eligible():
            queue = self.get_queue(queue_name)
            message = next((m for m in queue._messages if m.had_receipt_handle(receipt_handle)), None)
        original(self, queue_name, receipt_handle)
        if message is not None and FAULTS.draw("duplicate_delivery"):
            self.send_message(
                queue_name,
                message.body,
                message_attributes=message.message_attributes,
                delay_seconds=FAULTS.delay_seconds(),
            )

    SQSBackend.delete_message = delete_message  # type: ignore[method-assign]


def _hold_back_sent_messages() -> None:
    from moto.sqs.models import SQSBackend

    original = SQSBackend.send_message

    def send_message(self: SQSBackend, queue_name: str, message_body: str, *args: Any, **kwargs: Any) -> Any:
        # Only messages sent without a delay of their own; FIFO queues allow no per-message delay.
        if (
            not args
            and not kwargs.get("delay_seconds")
            and not self.get_queue(queue_name).fifo_queue
            and FAULTS.draw("delivery_delay")
        ):
            kwargs["delay_seconds"] = FAULTS.delay_seconds()
        return original(self, queue_name, message_body, *args, **kwargs)

    SQSBackend.send_message = send_message  # type: ignore[method-assign]
