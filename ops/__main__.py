"""`ops`: the operator's view of a running saga (`./run ops ...`, or the `ops` console script).

    ops tail [--order ID] [--correlation ID] [--type TYPE] [--context NAME] [--since 10m]
    ops order ID
    ops dlq
    ops dlq redrive CONTEXT [--rate N]
    ops replay --from TIME --to TIME [--context NAME]
    ops health

Every command takes --stack (dev), --outputs FILE (a deployed stack's `pulumi stack output --json
--show-secrets`), --endpoint-url (else AWS_ENDPOINT_URL) and --json (machine-readable output).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from ops import dead_letters, event_log, health, order_story, redrive, replay
from ops.render import Output, Progress, age
from ops.stack import Stack, StackNotFound, find_stack

_RELATIVE = re.compile(r"^(?P<amount>\d+)(?P<unit>[smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_TAIL_WIDTHS = (27, 18, 30, 2, 36, 36)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = Output(as_json=args.json)
    try:
        stack = find_stack(args.stack, args.outputs, args.endpoint_url)
        return int(args.run(stack, args, out) or 0)
    except StackNotFound as missing:
        print(f"ops: {missing}", file=sys.stderr)
        return 2
    except EndpointConnectionError as unreachable:
        print(
            f"ops: cannot reach AWS at {unreachable.kwargs.get('endpoint_url')}: is the stack running?", file=sys.stderr
        )
        return 2
    except (ClientError, BotoCoreError, ValueError) as failed:
        print(f"ops: {failed}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--stack", default="dev", help="the stack (Pulumi.<stack>.yaml); default dev")
    common.add_argument(
        "--outputs", type=Path, help="the stack's outputs file (default: SAGA_STACK_OUTPUTS, else the embedded cloud's)"
    )
    common.add_argument("--endpoint-url", help="AWS endpoint (default: AWS_ENDPOINT_URL, else the embedded cloud's)")
    common.add_argument("--json", action="store_true", help="machine-readable output (JSON lines for tail)")
    parser = argparse.ArgumentParser(prog="ops", description=__doc__.splitlines()[0], parents=[common])
    commands = parser.add_subparsers(required=True, metavar="command")

    tail = commands.add_parser("tail", parents=[common], help="follow the global bus's event log live")
    tail.add_argument("--order", help="only this order's events")
    tail.add_argument("--correlation", help="only events with this correlation id")
    tail.add_argument("--type", dest="event_type", help="only this event type, e.g. payment.captured")
    tail.add_argument("--context", help="only events this context produces or consumes")
    tail.add_argument("--since", help="start this far back (30s, 10m, 2h) or at an ISO 8601 time; default now")
    tail.add_argument("--for", dest="duration", type=float, help="stop after this many seconds")
    tail.set_defaults(run=_tail)

    order = commands.add_parser("order", parents=[common], help="one order's events, state and dead letters")
    order.add_argument("order_id")
    order.set_defaults(run=_order)

    dlq = commands.add_parser("dlq", parents=[common], help="every context's dead-letter queue")
    dlq.set_defaults(run=_dlq)
    dlq_commands = dlq.add_subparsers(metavar="redrive")
    redrive_parser = dlq_commands.add_parser(
        "redrive", parents=[common], help="move a context's dead letters back to its queue (SQS message-move task)"
    )
    redrive_parser.add_argument("context")
    redrive_parser.add_argument("--rate", type=int, help="messages per second (1..500; default: SQS chooses)")
    redrive_parser.set_defaults(run=_redrive)

    replay_parser = commands.add_parser("replay", parents=[common], help="replay the archive for a window of time")
    replay_parser.add_argument("--from", dest="start", required=True, help="ISO 8601 time, or 30m / 2h / 1d ago")
    replay_parser.add_argument("--to", dest="end", default="0s", help="ISO 8601 time, or 5m ago; default now")
    replay_parser.add_argument("--context", help="replay to this context's forwarding rule only")
    replay_parser.set_defaults(run=_replay)

    health_parser = commands.add_parser("health", parents=[common], help="what each alarm would say now; stuck orders")
    health_parser.set_defaults(run=_health)
    return parser


def _tail(stack: Stack, args: argparse.Namespace, out: Output) -> int:
    chosen = event_log.EventFilter(args.order, args.correlation, args.event_type, args.context)
    since = None if args.since is None else int(_instant(args.since).timestamp() * 1000)
    ends = None if args.duration is None else time.monotonic() + args.duration
    # On stderr, so a script reading --json lines knows the stream has begun.
    print(f"following {stack.outputs['eventLogGroup']} (Ctrl-C stops)", file=sys.stderr, flush=True)
    if not out.as_json:
        out.line(out.paint(_tail_line("time", "source", "type", "v", "order", "correlation"), "grey"))
    for event in event_log.follow(
        stack.target, chosen, since, stop=lambda: ends is not None and time.monotonic() > ends
    ):
        if out.as_json:
            out.json(event.as_json())
            continue
        line = _tail_line(
            event.time,
            event.source,
            event.type,
            "" if event.version is None else str(event.version),
            event.order_id or "-",
            event.correlation_id or "-",
        )
        out.line(out.paint(line + (f"  (replay {event.replay})" if event.replay else ""), _event_colour(event.type)))
    return 0


def _tail_line(*cells: str) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, _TAIL_WIDTHS, strict=True)).rstrip()


def _event_colour(event_type: str) -> str | None:
    if event_type.endswith(("cancelled", "declined", "rejected", "failed", "refunded", "revoked", "released")):
        return "yellow"
    if event_type.endswith("confirmed"):
        return "green"
    return None


def _order(stack: Stack, args: argparse.Namespace, out: Output) -> int:
    story = order_story.tell(stack, args.order_id)
    if out.as_json:
        out.json(story.as_json())
        return 0
    if not story.events and not any(items for tables in story.state.values() for items in tables.values()):
        print(f"ops: no order {args.order_id} in this stack", file=sys.stderr)
        return 1
    out.heading(f"Order {story.order_id}")
    out.line()
    out.heading(f"Events ({len(story.events)}, from the event log)")
    out.table(
        ["time", "source", "type", "v", "event id", "caused by", "replay"],
        [(e.time, e.source, e.type, e.version, e.id, e.causation_id, e.replay) for e in story.events],
        [_event_colour(e.type) for e in story.events],
    )
    out.line()
    out.heading("State, per context")
    rows = []
    for context, tables in story.state.items():
        for table, items in tables.items():
            rows.extend((context, table, _summary(item)) for item in items or [None])
    out.table(["context", "table", "item"], rows)
    out.line()
    out.heading(f"Dead letters mentioning it ({len(story.dead_letters)})")
    if story.dead_letters:
        _dead_letter_table(out, story.dead_letters)
    return 0


def _summary(item: dict[str, Any] | None) -> str:
    if item is None:
        return "(nothing)"
    skipped = {"pk", "sk", "kind", "version"}
    return "  ".join(f"{key}={_compact(value)}" for key, value in item.items() if key not in skipped)


def _compact(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_compact(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_compact(v)}" for k, v in value.items()) + "}"
    return str(value)


def _dlq(stack: Stack, args: argparse.Namespace, out: Output) -> int:
    contexts = stack.contexts()
    progress = Progress("reading dead-letter queues", len(contexts))
    queues = []
    for context in contexts:
        queues.append(dead_letters.read_queue(stack.target, context))
        progress.step()
    progress.close()
    if out.as_json:
        out.json({"deadLetterQueues": [q.as_json() for q in queues]})
        return 0
    out.table(
        ["context", "depth", "oldest", "max receives", "dead-letter queue"],
        [
            (q.context, q.depth, age(q.oldest_age_seconds()), q.max_receive_count, q.url.rsplit("/", 1)[-1])
            for q in queues
        ],
        ["red" if q.depth else None for q in queues],
    )
    messages = [m for q in queues for m in q.messages]
    out.line()
    out.heading(f"Dead letters ({len(messages)})")
    if messages:
        _dead_letter_table(out, messages)
    return 0


def _dead_letter_table(out: Output, messages: list[dead_letters.DeadLetter]) -> None:
    now = time.time()
    out.table(
        ["context", "age", "receives", "type", "event id", "order id", "why"],
        [
            (
                m.context,
                age(None if m.sent_at is None else now - m.sent_at / 1000),
                m.receive_count,
                m.event_type,
                m.event_id,
                m.order_id,
                m.reason,
            )
            for m in messages
        ],
    )


def _redrive(stack: Stack, args: argparse.Namespace, out: Output) -> int:
    progress = Progress(f"moving {args.context}'s dead letters")
    shown = 0

    def report(task: redrive.MoveTask) -> None:
        nonlocal shown
        progress.step(task.moved - shown)
        shown = task.moved

    task = redrive.redrive(stack.target, args.context, args.rate, on_progress=report)
    progress.close()
    if out.as_json:
        out.json(task.as_json())
    else:
        colour = "green" if task.status == "COMPLETED" else "red"
        out.line(out.paint(f"{task.context}: {task.status}, {task.moved} of {task.to_move} moved to its queue", colour))
        if task.failure_reason:
            out.line(f"  why: {task.failure_reason}")
    return 0 if task.status == "COMPLETED" else 1


def _replay(stack: Stack, args: argparse.Namespace, out: Output) -> int:
    start, end = _instant(args.start), _instant(args.end)
    if replay.older_than_memory(start):
        memory = replay.idempotency_memory()
        print(
            out.paint(
                f"warning: the window starts before the consumers' idempotency memory ({memory.days} days): events "
                f"older than {(datetime.now(UTC) - memory).isoformat(timespec='seconds')} are no longer recognised as "
                "repeats and will be handled again",
                "yellow",
            ),
            file=sys.stderr,
        )
    states: list[str] = []
    result = replay.replay(stack.target, start, end, args.context, on_progress=states.append)
    if out.as_json:
        out.json(result.as_json())
    else:
        whom = f"{args.context}'s forwarding rule" if args.context else "every rule of the global bus"
        colour = "green" if result.state == "COMPLETED" else "red"
        out.line(
            out.paint(
                f"replay {result.name}: {result.state} ({start.isoformat()} .. {end.isoformat()} to {whom})", colour
            )
        )
        if result.reason:
            out.line(f"  why: {result.reason}")
    return 0 if result.state == "COMPLETED" else 1


def _health(stack: Stack, args: argparse.Namespace, out: Output) -> int:
    alarms = health.alarms(stack)
    stuck = health.stuck_orders(stack)
    firing = [a for a in alarms if a.state == "ALARM"]
    if out.as_json:
        out.json(
            {
                "alarms": [a.as_json() for a in alarms],
                "stuckOrders": [o.as_json() for o in stuck],
                "orderDeadlineSeconds": stack.order_deadline_seconds,
                "healthy": not firing and not stuck,
            }
        )
    else:
        out.table(
            ["alarm", "state", "value", "threshold", "says"],
            [(a.alarm, a.state, "no data" if a.value is None else a.value, a.threshold, a.says) for a in alarms],
            ["red" if a.state == "ALARM" else "green" for a in alarms],
        )
        out.line()
        deadline = age(stack.order_deadline_seconds)
        out.heading(f"Stuck orders ({len(stuck)}: not CONFIRMED or CANCELLED {deadline} after they were placed)")
        if stuck:
            out.table(
                ["order id", "status", "placed", "age"],
                [(o.order_id, o.status, o.placed_at, age(o.age_seconds)) for o in stuck],
                ["red"] * len(stuck),
            )
        out.line()
        verdict = "healthy" if not firing and not stuck else f"{len(firing)} alarm(s), {len(stuck)} stuck order(s)"
        out.line(out.paint(verdict, "green" if not firing and not stuck else "red"))
    return 0 if not firing and not stuck else 1


def _instant(text: str) -> datetime:
    """An ISO 8601 time (UTC unless it says otherwise), or a duration ago: 30s, 10m, 2h, 1d."""
    relative = _RELATIVE.match(text)
    if relative:
        return datetime.now(UTC) - timedelta(**{_UNITS[relative["unit"]]: int(relative["amount"])})
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as bad:
        raise ValueError(f"not a time: {text!r} (give ISO 8601, or 30s / 10m / 2h / 1d ago)") from bad
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


if __name__ == "__main__":
    sys.exit(main())
