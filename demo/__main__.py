"""python -m demo: deploy to the embedded cloud, play one order per saga path, print each timeline."""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from components.settings import SAGA_STYLE_CONFIG_KEY, SAGA_STYLES
from demo.scenarios import DEMO_CUSTOMER, SCENARIOS, STOCK, Scenario
from demo.up import sign_in_command
from saga_client import SagaTarget
from saga_client.operations import event_log, first_of_each, get_order, place_order, seed_stock, stock_level
from saga_client.state import NotificationInbox, SagaState
from saga_client.target import eventually

PROJECT_DIR = Path(__file__).resolve().parents[1]
FINAL = {"CONFIRMED", "CANCELLED"}


def play(saga: SagaTarget, scenario: Scenario, inbox: NotificationInbox) -> bool:
    started = time.monotonic()
    response = place_order(saga, scenario.order(), customer=DEMO_CUSTOMER)
    if response.status != 202:
        print(f"\n✗ {scenario.title}: POST /orders answered {response.status} {response.body}")
        return False
    order_id = response.body["orderId"]
    if scenario.cancel_at_once:
        saga.http("POST", f"/orders/{order_id}/cancel")

    order = eventually(lambda: _final(saga, order_id), timeout=60)
    took = time.monotonic() - started
    events = _quiet_event_log(saga, order_id)
    state = SagaState.read(saga, order_id)
    ok = order["status"] == scenario.expected_status and order["cancellationReason"] == scenario.expected_reason
    reason = f" ({order['cancellationReason']})" if order["cancellationReason"] else ""
    print(f"\n{'✓' if ok else '✗'} {scenario.title}: order {order_id[:8]} {order['status']}{reason} after {took:.2f}s")
    for event in events:
        version = event["dataschema"].rsplit("/", 1)[1].removesuffix(".json")
        print(
            f"    {event['time'][11:23]}  {event['source']:<18} {event['type'] + ' ' + version:<36} {_summary(event)}"
        )
    told = [m["subject"] for m in inbox.messages_for(order_id)]
    print(
        f"    state: reservation={_status(state.reservation)} payment={_status(state.payment)} "
        f"shipment={_status(state.shipment)} customer told={told}"
    )
    return ok


def _final(saga: SagaTarget, order_id: str) -> dict | None:
    order = get_order(saga, order_id).body
    return order if order["status"] in FINAL else None


def _quiet_event_log(saga: SagaTarget, order_id: str, quiet_seconds: float = 1.5) -> list[dict]:
    """The order's events once no new one has arrived for a moment: compensations trail the status."""
    events, since = first_of_each(event_log(saga, order_id)), time.monotonic()
    while time.monotonic() - since < quiet_seconds:
        time.sleep(0.3)
        latest = first_of_each(event_log(saga, order_id))
        if len(latest) != len(events):
            events, since = latest, time.monotonic()
    return events


def _status(record: dict | None) -> str:
    return record["status"] if record else "-"


def _summary(event: dict) -> str:
    data = event["data"]
    if "reason" in data:
        return f"reason={data['reason']}"
    if "points" in data:
        return f"points={data['points']}"
    if "amount" in data:
        return f"{data['amount']['amount'] / 100:.2f} {data['amount']['currency']}"
    if "lines" in data:
        return ", ".join(f"{line['sku']} x{line['quantity']}" for line in data["lines"])
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", default="dev", help="the stack whose config to deploy (Pulumi.<stack>.yaml)")
    parser.add_argument("--keep-running", action="store_true", help="keep the embedded cloud up afterwards")
    parser.add_argument(
        "--style",
        choices=SAGA_STYLES,
        help="the saga style to deploy (the stack's sagaStyle setting), over the stack file",
    )
    args = parser.parse_args()
    if args.style:
        # Handed to the program as the Pulumi CLI hands config over (the deploy reads it at start).
        config = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")
        os.environ["PULUMI_CONFIG"] = json.dumps({**config, f"order-saga:{SAGA_STYLE_CONFIG_KEY}": args.style})

    from localcloud import EmbeddedCloud

    started = time.monotonic()
    with EmbeddedCloud.start(PROJECT_DIR, stack=args.stack) as cloud:
        style = cloud.outputs.get("sagaStyle", "choreography")
        took = time.monotonic() - started
        print(f"embedded cloud up in {took:.1f}s ({style}): order API at {cloud.outputs['orderApiUrl']}")
        saga = SagaTarget.for_emulator(cloud.outputs, cloud.endpoint_url, worker_switch=cloud.functions)
        seed_stock(saga, STOCK)
        print(f"stock seeded: {STOCK}")
        saga.customers.token(DEMO_CUSTOMER)
        print(
            f"every order is placed as {DEMO_CUSTOMER}, signed in to the stack's user pool "
            f"(client {cloud.outputs['customerUserPoolClientId']}, password {saga.customers.password}); "
            "`./run up` prints the curl that gets her token"
        )
        inbox = NotificationInbox.subscribe(saga)
        results = [play(saga, scenario, inbox) for scenario in SCENARIOS]
        print(f"\nstock now: { {sku: stock_level(saga, sku) for sku in STOCK} }")
        if args.keep_running:
            print(f"\nstill running: order API {cloud.outputs['orderApiUrl']}, AWS endpoint {cloud.endpoint_url}")
            client_id = cloud.outputs["customerUserPoolClientId"]
            sign_in = sign_in_command(cloud.endpoint_url, client_id, DEMO_CUSTOMER, saga.customers.password)
            print(f"sign in as {DEMO_CUSTOMER}: {sign_in}")
            print("stack outputs: .localcloud/dev/outputs.json; Ctrl-C stops")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    print(f"\n{sum(results)} of {len(results)} scenarios ended as expected")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
