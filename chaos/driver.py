"""Places the planned orders as careful customers would: every POST carries its Idempotency-Key
and is retried on a throttle or a server error, so a fault never places an order twice; then
each customer waits for the order's outcome before placing the next (a closed loop, so the
run measures the saga under faults, not a queue growing faster than the machine can drain it)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from chaos.orders import PlannedOrder
from saga_client.target import HttpResponse, SagaTarget

# Statuses a client retries: throttled, still in progress (same key), server-side trouble.
_RETRYABLE = {409, 429, 500, 502, 503, 504}
_GIVE_UP_AFTER_SECONDS = 60.0


@dataclass
class PlacedOrder:
    planned: PlannedOrder
    order_id: str | None = None
    # Every request the API answered for this order, by API Gateway request id.
    request_ids: list[str] = field(default_factory=list)
    # Order ids answered by each repeat of the same POST (all must be the same order).
    answered_order_ids: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    cancel_status: int | None = None
    # Seconds from the first POST until the order was CONFIRMED or CANCELLED; None if it was not
    # decided within the deadline.
    decided_after: float | None = None
    problem: str | None = None


@dataclass
class Placement:
    orders: list[PlacedOrder]
    seconds: float


def place_all(saga: SagaTarget, planned: tuple[PlannedOrder, ...], concurrency: int, deadline: float) -> Placement:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="chaos-client") as pool:
        results = list(pool.map(lambda order: _place_and_wait(saga, order, deadline), planned))
    return Placement(results, time.monotonic() - started)


def _place_and_wait(saga: SagaTarget, planned: PlannedOrder, deadline: float) -> PlacedOrder:
    started = time.monotonic()
    placed = _place(saga, planned)
    if placed.order_id is not None:
        placed.decided_after = _decided_within(saga, placed.order_id, started, deadline)
    return placed


def _decided_within(saga: SagaTarget, order_id: str, started: float, deadline: float) -> float | None:
    # Read from the orders table, as an observer: a customer polling GET /orders/{id} would add
    # load the API has to serve and the run would measure that instead.
    pause = 0.2
    while time.monotonic() - started <= deadline:
        item = (
            saga.client("dynamodb")
            .get_item(
                TableName=saga.table("order", "orders"),
                Key={"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ORDER"}},
                ProjectionExpression="#s",
                ExpressionAttributeNames={"#s": "status"},
                ConsistentRead=True,
            )
            .get("Item")
        )
        if item and item["status"]["S"] in ("CONFIRMED", "CANCELLED"):
            return time.monotonic() - started
        time.sleep(pause)
        pause = min(pause * 1.5, 2.0)
    return None


def _place(saga: SagaTarget, planned: PlannedOrder) -> PlacedOrder:
    placed = PlacedOrder(planned)
    headers = {"idempotency-key": planned.idempotency_key}
    for _ in range(planned.posts):
        response = _with_retries(saga, placed, "POST", "/orders", planned.request, headers)
        if response.status != 202:
            placed.problem = f"POST /orders answered {response.status}: {response.body}"
            return placed
        placed.answered_order_ids.append(response.body["orderId"])
    placed.order_id = placed.answered_order_ids[0]
    if planned.cancel_after is not None:
        time.sleep(planned.cancel_after)
        response = _with_retries(saga, placed, "POST", f"/orders/{placed.order_id}/cancel", None, {})
        placed.cancel_status = response.status
        # 409 is the right answer once the order is confirmed; anything else is a problem.
        if response.status not in (202, 409):
            placed.problem = f"cancel answered {response.status}: {response.body}"
    return placed


def _with_retries(
    saga: SagaTarget,
    placed: PlacedOrder,
    method: str,
    path: str,
    body: dict | None,
    headers: dict[str, str],
) -> HttpResponse:
    deadline = time.monotonic() + _GIVE_UP_AFTER_SECONDS
    pause = 0.2
    while True:
        response = saga.http(method, path, body, headers, customer=placed.planned.customer)
        placed.statuses.append(response.status)
        if "apigw-requestid" in response.headers:
            placed.request_ids.append(response.headers["apigw-requestid"])
        # A cancel that meets a confirmed order is final, not a retry case.
        final_conflict = response.status == 409 and path.endswith("/cancel") and "no longer" in str(response.body)
        if response.status not in _RETRYABLE or final_conflict or time.monotonic() > deadline:
            return response
        time.sleep(pause)
        pause = min(pause * 2, 3.0)
