"""How long the whole saga takes on the embedded cloud, and what its processes weigh.

Places N happy-path orders, a few at a time, and measures from POST /orders until the
order is CONFIRMED (inventory, payment, shipping and the order's own outbox in between).

    .venv/bin/python -m benchmarks.saga_latency [--orders 40] [--concurrency 4]
"""

import argparse
import statistics
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from saga_client import SagaTarget
from saga_client.operations import get_order, place_order, seed_stock
from saga_client.orders import order_request

PROJECT_DIR = Path(__file__).resolve().parents[1]


# What a careful client retries (with the same Idempotency-Key): a throttle, a server error.
RETRYABLE = {429, 500, 502, 503, 504}


def confirm_one(saga: SagaTarget, sku: str, retried: Counter[int]) -> float | str:
    """Seconds from the first POST until the client sees the order CONFIRMED, or what the API
    answered when it placed no order. Answers a careful client retries are counted in `retried`.

    The client looks every 5% of the time since its POST (at least 50 ms), as the soak benchmark
    does: a latency is overstated by about 5% at most, and many clients do not measure the API's
    throttling instead of the saga."""
    started = time.monotonic()
    key = str(uuid.uuid4())
    # A retry is the same customer's, as its Idempotency-Key is.
    customer = f"latency-customer-{int(key[:4], 16) % 16}"
    pause = 0.1
    while True:
        try:
            placed = place_order(saga, order_request((sku, 1)), idempotency_key=key, customer=customer)
        except OSError as error:
            return type(error).__name__
        if placed.status not in RETRYABLE or time.monotonic() - started > 60:
            break
        retried[placed.status] += 1
        time.sleep(pause)
        pause = min(pause * 2, 2.0)
    if placed.status >= 300:
        return f"{placed.status} {placed.body}"
    order_id = placed.body["orderId"]
    while (elapsed := time.monotonic() - started) < 120:
        found = get_order(saga, order_id)
        if found.status in RETRYABLE:
            retried[found.status] += 1
        elif found.status != 200:
            raise RuntimeError(f"GET /orders/{order_id} answered {found.status} {found.body}")
        elif found.body["status"] == "CONFIRMED":
            return time.monotonic() - started
        time.sleep(max(0.05, 0.05 * elapsed))
    raise TimeoutError(f"order {order_id} not confirmed after 120 s")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    from localcloud import EmbeddedCloud

    started = time.monotonic()
    with EmbeddedCloud.start(PROJECT_DIR) as cloud:
        print(f"embedded cloud up in {time.monotonic() - started:.1f}s")
        saga = SagaTarget.for_emulator(cloud.outputs, cloud.endpoint_url)
        seed_stock(saga, {"BENCH-MUG": (args.orders + args.concurrency) * 2})
        # Warm up at the measured concurrency, so the instances it needs have had their cold start.
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(lambda _: confirm_one(saga, "BENCH-MUG", Counter()), range(args.concurrency)))
        retried: Counter[int] = Counter()
        began = time.monotonic()
        with ThreadPoolExecutor(args.concurrency) as pool:
            outcomes = list(pool.map(lambda _: confirm_one(saga, "BENCH-MUG", retried), range(args.orders)))
        elapsed = time.monotonic() - began
        latencies = sorted(o for o in outcomes if isinstance(o, float))
        refused = Counter(o for o in outcomes if isinstance(o, str))
        if refused:
            print(f"POSTs that placed no order: {dict(refused)}")
        if retried:
            print(f"answers retried (by status; throttled requests answer 500): {dict(retried)}")
        if latencies:
            p95 = latencies[int(0.95 * (len(latencies) - 1))]
            print(
                f"{args.orders} orders, {args.concurrency} at a time: {len(latencies) / elapsed:.2f} orders "
                f"confirmed/s; POST → CONFIRMED p50 {statistics.median(latencies):.2f}s, p95 {p95:.2f}s, "
                f"max {latencies[-1]:.2f}s"
            )
        memory = {name: rss_mb(pid) for name, pid in cloud.functions.process_ids().items()}
        print(
            f"function processes: {len(memory)}, RSS {sum(memory.values()):.0f} MB in all "
            f"({min(memory.values()):.0f}-{max(memory.values()):.0f} MB each)"
        )
        stats = cloud.functions.stats() if hasattr(cloud.functions, "stats") else {}
        print(
            "instances started (most busy at once): "
            + ", ".join(f"{name} {s['starts']} ({s['peak_busy']})" for name, s in sorted(stats.items()))
        )
        if cloud.moto_process_id:
            print(f"moto server RSS {rss_mb(cloud.moto_process_id):.0f} MB")


if __name__ == "__main__":
    main()
