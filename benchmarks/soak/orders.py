"""Placing happy-path orders, a few at a time, and timing each from POST to CONFIRMED.

Each client thread posts an order, then polls GET /orders/{id} until it reads CONFIRMED,
then posts the next: the latency is what that client sees. Polls cost the emulator work
(each GET is a function invocation and two DynamoDB reads), so they are spaced out: the
first look comes at 80% of the phase's median so far, then one every 5% of the time since
POST (at least 50 ms). A latency is thus overstated by at most about 5% plus one GET, and
below 80% of the median the figure is the first look's time (so p50 and p95 are unaffected).
(The order.confirmed event's own time is no better: it is stamped before the transaction
that stores CONFIRMED, which on a loaded moto was seen to take up to 0.3 s.)
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from saga_client import SagaTarget
from saga_client.operations import get_order, place_order
from saga_client.orders import order_request

_RETRYABLE = {409, 429, 500, 502, 503, 504}

_FIRST_LOOK = 0.2  # seconds, until the phase has a median of its own
_TIMEOUT = 120.0


@dataclass(frozen=True)
class OrderOutcome:
    posted_at: float  # time.monotonic()
    seen_at: float | None = None  # when the client read CONFIRMED
    gets: int = 0
    problem: str | None = None
    refused: int = 0  # answers a careful client asked again (throttled, timed out)

    @property
    def latency(self) -> float | None:
        return None if self.seen_at is None or self.problem else self.seen_at - self.posted_at


@dataclass
class Phase:
    concurrency: int
    started_at: float = 0.0
    ended_at: float = 0.0
    outcomes: list[OrderOutcome] = field(default_factory=list)
    moto_cpu_seconds: float = 0.0  # what the moto server spent during the phase, when measured
    functions_cpu_seconds: float = 0.0  # what the function instances spent (their cold starts included)
    host_cpu_seconds: float = 0.0  # the function host's pollers and gateway, and this client
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def confirmed(self) -> list[OrderOutcome]:
        return [o for o in self.outcomes if o.latency is not None]

    @property
    def seconds(self) -> float:
        return self.ended_at - self.started_at

    @property
    def orders_per_second(self) -> float:
        return len(self.confirmed) / self.seconds if self.seconds > 0 else 0.0

    def latency_percentile(self, fraction: float) -> float | None:
        latencies = sorted(o.latency for o in self.confirmed if o.latency is not None)
        return latencies[round(fraction * (len(latencies) - 1))] if latencies else None

    @property
    def window(self) -> int:
        """How many orders the first and the last throughput windows hold (100, fewer in short runs)."""
        return min(100, len(self.confirmed) // 2)

    def last_vs_first(self) -> float | None:
        """Throughput of the last `window` orders confirmed over that of the first `window`."""
        done = sorted(o.seen_at or 0.0 for o in self.confirmed)
        n = self.window
        if n < 2:
            return None
        first = n / (done[n - 1] - self.started_at)
        last = n / (done[-1] - done[-n - 1])
        return last / first

    @property
    def refused(self) -> int:
        return sum(o.refused for o in self.outcomes)

    @property
    def gets_per_order(self) -> float:
        return statistics.mean(o.gets for o in self.outcomes) if self.outcomes else 0.0

    def first_look(self) -> float:
        with self._lock:
            latencies = [o.latency for o in self.outcomes[-50:] if o.latency is not None]
        return 0.8 * statistics.median(latencies) if latencies else _FIRST_LOOK

    def record(self, outcome: OrderOutcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)


def run_phase(saga: SagaTarget, sku: str, orders: int, concurrency: int, progress: bool = True) -> Phase:
    phase = Phase(concurrency)
    phase.started_at = time.monotonic()
    step = max(1, orders // 10)
    done = itertools.count(1)

    def one(_: int) -> None:
        posted_at = time.monotonic()
        try:
            outcome = confirm_order(saga, sku, phase.first_look())
        except Exception as error:  # a figure, not a crash: the run goes on and counts it
            outcome = OrderOutcome(posted_at, problem=f"{type(error).__name__}: {error}")
        phase.record(outcome)
        finished = next(done)
        if progress and finished % step == 0:
            print(f"  concurrency {concurrency}: {finished}/{orders} orders", flush=True)

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(orders)))
    phase.ended_at = time.monotonic()
    return phase


def confirm_order(saga: SagaTarget, sku: str, first_look: float) -> OrderOutcome:
    posted_at = time.monotonic()
    request, key = order_request((sku, 1)), str(uuid.uuid4())
    # A few customers, each signed in once: the soak measures orders, not sign-ins. A retry is
    # the same customer's, as its Idempotency-Key is.
    customer = f"soak-customer-{int(key[:4], 16) % 16}"
    # A careful client: a throttled or failed POST is sent again with the same Idempotency-Key
    # (API Gateway answers a throttled function 500), and the time until CONFIRMED includes it.
    response = place_order(saga, request, idempotency_key=key, customer=customer)
    pause, refused = 0.1, 0
    while response.status in _RETRYABLE and time.monotonic() - posted_at < 60:
        refused += 1
        time.sleep(pause)
        pause = min(pause * 2, 2.0)
        response = place_order(saga, request, idempotency_key=key, customer=customer)
    if response.status != 202:
        return OrderOutcome(posted_at, refused=refused, problem=f"POST /orders answered {response.status}")
    order_id = response.body["orderId"]
    time.sleep(max(0.0, first_look - (time.monotonic() - posted_at)))
    gets = 0
    while True:
        answer = get_order(saga, order_id)
        gets += 1
        seen_at = time.monotonic()
        if answer.status != 200:
            # A throttled GET (the API's reserved concurrency is shared with every client's POSTs)
            # is asked again, as a careful client does; anything else is the order's problem.
            if answer.status not in _RETRYABLE or seen_at - posted_at > _TIMEOUT:
                problem = f"GET /orders/{{id}} answered {answer.status}"
                return OrderOutcome(posted_at, gets=gets, refused=refused, problem=problem)
            refused += 1
            time.sleep(max(0.05, 0.05 * (seen_at - posted_at)))
            continue
        order = answer.body
        if order["status"] == "CONFIRMED":
            return OrderOutcome(posted_at, seen_at, gets, refused=refused)
        if order["status"] == "CANCELLED":
            return OrderOutcome(
                posted_at, gets=gets, refused=refused, problem=f"cancelled: {order['cancellationReason']}"
            )
        elapsed = seen_at - posted_at
        if elapsed > _TIMEOUT:
            return OrderOutcome(
                posted_at, gets=gets, refused=refused, problem=f"still {order['status']} after {elapsed:.0f}s"
            )
        time.sleep(max(0.05, 0.05 * elapsed))
