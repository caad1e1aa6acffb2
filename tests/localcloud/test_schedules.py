"""The embedded cloud runs EventBridge Scheduler's schedules: read from moto through Scheduler's API,
each invokes its Lambda target when due, as Scheduler does (Lambda's Invoke API, InvocationType
Event, the target's Input with Scheduler's context attributes filled in)."""

import json
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from components.schedule import SCHEDULER_INPUT
from localcloud.emulator.clients import client
from localcloud.event_sources.schedules import ScheduleTimer

ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function"


class RecordedInvocations(ThreadingHTTPServer):
    """Lambda's Invoke API, recording what it is asked (the function host's stand-in)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.calls: list[dict] = []
        recorded = self.calls

        class Invoke(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorded.append(
                    {"path": self.path, "type": self.headers.get("X-Amz-Invocation-Type"), "event": json.loads(body)}
                )
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Invoke)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def functions() -> Iterator[RecordedInvocations]:
    server = RecordedInvocations()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def a_schedule(endpoint: str, expression: str, function: str, **target: str) -> dict:
    scheduler = client("scheduler", endpoint)
    group = f"group-{uuid.uuid4().hex[:8]}"
    scheduler.create_schedule_group(Name=group)
    scheduler.create_schedule(
        Name=f"every-{uuid.uuid4().hex[:8]}",
        GroupName=group,
        ScheduleExpression=expression,
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": f"{ACCOUNT_ARN}:{function}", "RoleArn": "arn:aws:iam::123456789012:role/r", **target},
    )
    [listed] = scheduler.list_schedules(GroupName=group)["Schedules"]
    return scheduler.get_schedule(Name=listed["Name"], GroupName=group)


def test_a_rate_schedule_invokes_its_function_every_period_with_schedulers_payload(bare_moto, functions):
    function = f"sweeper-{uuid.uuid4().hex[:6]}"
    schedule = a_schedule(bare_moto, "rate(1 minute)", function, Input=json.dumps(SCHEDULER_INPUT))
    created = schedule["CreationDate"].astimezone(UTC)
    timer = ScheduleTimer(bare_moto, functions.url, clock=lambda: created)

    def mine(invoked):
        return [(name, json.loads(payload)) for name, payload in invoked if name == function]

    assert mine(timer.tick(created + timedelta(seconds=59))) == []
    [(_, first)] = mine(timer.tick(created + timedelta(seconds=61)))
    assert mine(timer.tick(created + timedelta(seconds=62))) == []  # once per period
    # A timer that fell behind runs the latest due time once, not every one it missed.
    [(_, third)] = mine(timer.tick(created + timedelta(seconds=185)))

    assert first["scheduleArn"] == schedule["Arn"]
    assert first["scheduledTime"] == (created + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert third["scheduledTime"] == (created + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first["attemptNumber"] == "1"
    assert re.fullmatch(r"[0-9a-f]{16}", first["executionId"]) and first["executionId"] != third["executionId"]
    # As Scheduler calls a templated Lambda target: an asynchronous Invoke of that function.
    calls = [call for call in functions.calls if f"/functions/{function}/" in call["path"]]
    assert [(call["type"], call["event"]) for call in calls] == [("Event", first), ("Event", third)]
    assert calls[0]["path"] == f"/2015-03-31/functions/{function}/invocations"


def test_a_disabled_schedule_never_runs_and_a_one_time_schedule_runs_once(bare_moto, functions):
    off, once = f"off-{uuid.uuid4().hex[:6]}", f"once-{uuid.uuid4().hex[:6]}"
    disabled = a_schedule(bare_moto, "rate(1 minute)", off)
    client("scheduler", bare_moto).update_schedule(
        Name=disabled["Name"],
        GroupName=disabled["GroupName"],
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=disabled["Target"],
        State="DISABLED",
    )
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    a_schedule(bare_moto, f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})", once)
    timer = ScheduleTimer(bare_moto, functions.url, clock=lambda: when - timedelta(minutes=5))

    invoked = timer.tick(when + timedelta(seconds=1)) + timer.tick(when + timedelta(minutes=10))

    assert [name for name, _ in invoked if name in (off, once)] == [once]
    # Without an Input, Scheduler sends an empty JSON object.
    assert [json.loads(payload) for name, payload in invoked if name == once] == [{}]
