"""`./run chaos --orders N --seed S`: N orders of every kind under injected faults, then every invariant.

On a fresh embedded cloud: seed contended stock, subscribe a customer's inbox, turn the
faults on, place the orders as a careful client would, wait until every order is decided,
turn the faults off, let the compensations finish, then check the saga's promises from each
context's own state. Exits 1 when any invariant is violated.

The seed fixes the orders (kinds, lines, customers, cancel moments) and each fault kind's
random stream; which request a fault meets still depends on thread timing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

from chaos.driver import Placement, place_all
from chaos.invariants import Invariant, SystemState, check_all, duplicate_notifications
from chaos.orders import plan_orders
from localcloud.faults.plan import FAULT_KINDS, FaultPlan
from saga_client.operations import seed_stock, wait_until_quiet
from saga_client.state import NotificationInbox
from saga_client.target import SagaTarget

PROJECT_DIR = Path(__file__).resolve().parent.parent
RETRY_DELAY_SECONDS = 5
CONTEXTS = ("order", "inventory", "payment", "shipping", "loyalty", "notification")


def fault_plan(seed: int, faults: bool, overrides: list[str]) -> FaultPlan:
    if not faults:
        return FaultPlan(seed=seed)
    plan = _default_plan(seed).to_json()
    for override in overrides:
        kind, _, rate = override.partition("=")
        if kind not in plan or not rate:
            raise SystemExit(f"--fault takes KIND=RATE with KIND one of {', '.join(FAULT_KINDS)}")
        plan[kind] = float(rate)
    return FaultPlan.from_json(plan)


def _default_plan(seed: int) -> FaultPlan:
    # Rates high enough that every kind strikes many times in a 100-order run, low enough
    # that the retries AWS gives (SDK retries, maxReceiveCount 5) are not all used up by chance.
    return FaultPlan(
        seed=seed,
        duplicate_delivery=0.05,
        delivery_delay=0.10,
        max_delay_seconds=3,
        put_events_failure=0.03,
        dynamodb_throttling=0.03,
        instance_kill=0.15,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./run chaos", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8, help="customers placing orders at once")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds from POST to a decided order")
    parser.add_argument("--no-faults", dest="faults", action="store_false", help="the same run without faults")
    parser.add_argument(
        "--fault", action="append", default=[], metavar="KIND=RATE", help="change one fault's rate (0 turns it off)"
    )
    parser.add_argument("--stack", default="dev")
    args = parser.parse_args(argv)

    from localcloud import EmbeddedCloud
    from localcloud.provisioning.deployment import INSTANCE_VARIABLE

    # Its own state folder, so a chaos run never disturbs a `./run up` of the same stack.
    os.environ.setdefault(INSTANCE_VARIABLE, "chaos")

    planned = plan_orders(args.orders, args.seed)
    started = time.monotonic()
    # On AWS a failed message and a killed invocation's batch both return after the visibility
    # timeout (at least six function timeouts), so a message waiting for another (payment's
    # inventory.reserved for its order.placed) has maxReceiveCount x that to wait, five times
    # what a killed batch takes to come back. The embedded cloud retries a failed message after
    # RETRY_DELAY_SECONDS but a killed batch only after the invocation's deadline (its in-progress
    # idempotency record lives until then): with the functions' timeout at the retry delay, the
    # proportion stays AWS's (measured: at 30 s, two kills of one batch outlasted five retries).
    # At 5 s (10 s before) a 100-order run takes about 170 s instead of 270 s with the same faults.
    os.environ["PULUMI_CONFIG"] = json.dumps({"order-saga:functionTimeoutSeconds": str(RETRY_DELAY_SECONDS)})
    with EmbeddedCloud.start(PROJECT_DIR, stack=args.stack, retry_delay_seconds=RETRY_DELAY_SECONDS) as cloud:
        logs = cloud.functions.logs_dir.relative_to(PROJECT_DIR)
        print(f"embedded cloud up in {time.monotonic() - started:.1f}s; function logs in {logs}")
        saga = SagaTarget.for_emulator(cloud.outputs, cloud.endpoint_url, worker_switch=cloud.functions)
        seed_stock(saga, planned.initial_stock)
        inbox = NotificationInbox.subscribe(saga)
        injector = cloud.inject_faults(fault_plan(args.seed, args.faults, args.fault))
        print(f"placing {args.orders} orders, {args.concurrency} at a time, seed {args.seed}", flush=True)
        placement = place_all(saga, planned.orders, args.concurrency, args.deadline)
        injector.stop()
        print(f"placed and decided in {placement.seconds:.1f}s; faults off, letting compensations finish", flush=True)
        if not wait_until_quiet(saga, CONTEXTS, timeout=300, quiet_checks=4):
            print("the queues were still busy after 300 s: the checks read a system still at work", flush=True)
        unfinished = {order.order_id for order in placement.orders if order.order_id and order.decided_after is None}
        injected = injector.injected()
        state = SystemState.read(saga, inbox)
        invariants = check_all(state, placement.orders, planned.initial_stock, unfinished)
        restarts = cloud.functions.stats() if hasattr(cloud.functions, "stats") else {}
    _report(args.orders, placement, state, injected, invariants, restarts, time.monotonic() - started)
    return 1 if any(invariant.violations for invariant in invariants) else 0


def _report(
    count: int,
    placement: Placement,
    state: SystemState,
    injected: dict[str, int],
    invariants: list[Invariant],
    host_stats: dict,
    seconds: float,
) -> None:
    outcomes = Counter(
        f"{order['status']} {order.get('cancellationReason') or ''}".strip() for order in state.orders.values()
    )
    kinds = Counter(str(order.planned.kind) for order in placement.orders)
    print(f"\norders by kind: {dict(sorted(kinds.items()))}")
    print(f"outcomes: {dict(sorted(outcomes.items()))}")
    decided = sorted(order.decided_after for order in placement.orders if order.decided_after is not None)
    if decided:
        p50, p95 = decided[len(decided) // 2], decided[min(len(decided) - 1, int(len(decided) * 0.95))]
        print(f"POST -> decided: p50 {p50:.2f}s, p95 {p95:.2f}s, slowest {decided[-1]:.1f}s")
    print(
        f"placing and deciding took {placement.seconds:.1f}s ({count / placement.seconds:.2f} orders/s); "
        f"the whole run {seconds:.0f}s; {len(state.events)} events logged; "
        f"{duplicate_notifications(state)} repeated customer notifications"
    )
    if host_stats:
        print(f"function instances: {host_stats}")
    print("\n| fault | injected |\n|---|---:|")
    for kind in FAULT_KINDS:
        print(f"| {kind} | {injected.get(kind, 0)} |")
    print("\n| invariant | checked | violations |\n|---|---:|---:|")
    for invariant in invariants:
        print(f"| {invariant.name} | {invariant.checked} | {len(invariant.violations)} |")
    for invariant in invariants:
        for violation in invariant.violations[:10]:
            print(f"VIOLATION {invariant.name}: {violation}")
        if len(invariant.violations) > 10:
            print(f"... and {len(invariant.violations) - 10} more violations of {invariant.name}")
    violations = sum(len(invariant.violations) for invariant in invariants)
    print(f"chaos: {count} orders, {sum(injected.values())} faults injected, {violations} invariant violations")


if __name__ == "__main__":
    sys.exit(main())
