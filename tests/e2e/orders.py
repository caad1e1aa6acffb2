"""Building orders and waiting for the saga to decide them."""

from typing import Any

from saga_client.operations import get_order
from saga_client.orders import order_request
from saga_client.target import SagaTarget, eventually

an_order = order_request


def settled_order(saga: SagaTarget, order_id: str, statuses: set[str], timeout: float) -> dict[str, Any]:
    def status_reached() -> dict[str, Any] | None:
        order = get_order(saga, order_id).body
        return order if order and order.get("status") in statuses else None

    status_reached.__name__ = f"order {order_id} to reach {sorted(statuses)}"
    return eventually(status_reached, timeout=timeout)
