"""python -m demo: deploy to the embedded cloud, place the scenarios' orders, print each timeline."""

import argparse
import sys
import time
from pathlib import Path

from demo.scenarios import SCENARIOS, STOCK
from saga_client import SagaTarget
from saga_client.operations import event_log, get_order, place_order, seed_stock
from saga_client.target import eventually

PROJECT_DIR = Path(__file__).resolve().parents[1]
FINAL = {"STOCK_RESERVED", "CONFIRMED", "CANCELLED"}


def play(saga: SagaTarget) -> bool:
    seed_stock(saga, STOCK)
    print(f"stock seeded: {STOCK}")
    all_as_expected = True
    for scenario in SCENARIOS:
        started = time.monotonic()
        response = place_order(saga, scenario.order())
        if response.status != 202:
            print(f"\n✗ {scenario.title}: POST /orders answered {response.status} {response.body}")
            all_as_expected = False
            continue
        order_id = response.body["orderId"]

        def settled(order_id: str = order_id) -> dict | None:
            order = get_order(saga, order_id).body
            return order if order["status"] in FINAL else None

        order = eventually(settled, timeout=60)
        # Let the last events reach the event log before printing the timeline.
        time.sleep(0.5)
        ok = order["status"] == scenario.expected_status and order["cancellationReason"] == scenario.expected_reason
        all_as_expected &= ok
        mark = "✓" if ok else "✗"
        reason = f" ({order['cancellationReason']})" if order["cancellationReason"] else ""
        took = time.monotonic() - started
        print(f"\n{mark} {scenario.title}: order {order_id} {order['status']}{reason} in {took:.2f}s")
        for event in event_log(saga, order_id):
            print(f"    {event['time'][11:23]}  {event['source']:<18} {event['type']:<32} {_summary(event)}")
    return all_as_expected


def _summary(event: dict) -> str:
    data = event["data"]
    if "reason" in data:
        return f"reason={data['reason']}"
    if "lines" in data:
        return ", ".join(f"{line['sku']} x{line['quantity']}" for line in data["lines"])
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", default="dev", help="the stack whose config to deploy (Pulumi.<stack>.yaml)")
    parser.add_argument("--keep-running", action="store_true", help="keep the embedded cloud up afterwards")
    args = parser.parse_args()

    from localcloud import EmbeddedCloud

    started = time.monotonic()
    with EmbeddedCloud.start(PROJECT_DIR, stack=args.stack) as cloud:
        print(f"embedded cloud up in {time.monotonic() - started:.1f}s: API {cloud.outputs['orderApiUrl']}")
        saga = SagaTarget.for_emulator(cloud.outputs, cloud.endpoint_url, worker_switch=cloud.functions)
        ok = play(saga)
        if args.keep_running:
            print(
                f"\nstill running: API {cloud.outputs['orderApiUrl']}, AWS endpoint {cloud.endpoint_url}; Ctrl-C stops"
            )
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    print("\nall scenarios ended as expected" if ok else "\nsome scenarios did not end as expected")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
