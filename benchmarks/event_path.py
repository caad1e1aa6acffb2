"""How much the contract checks cost per event: build, validate before publish, receive and validate.

.venv/bin/python -m benchmarks.event_path
"""

import json
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambdas"))

from saga_events import event_from_sqs_record, new_event
from saga_events.validation import validate_event

ORDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
LINES = [{"sku": f"SKU-{n}", "quantity": 2, "unitPrice": {"amount": 1250, "currency": "EUR"}} for n in range(5)]
DATA = {
    "orderId": ORDER_ID,
    "customerId": "customer-ada",
    "lines": LINES,
    "total": {"amount": 12500, "currency": "EUR"},
    "paymentMethodToken": "tok_visa",
    "shippingAddress": {"recipient": "Ada", "line1": "1 Way", "city": "Berlin", "postalCode": "10115", "country": "DE"},
    "placedAt": "2026-01-01T00:00:00+00:00",
}


def build() -> dict:
    return new_event("order.placed", DATA, source="saga.order", correlation_id=ORDER_ID, causation_id="request-1")


def main() -> None:
    event = build()
    validate_event(event)  # compiles the validators once, as a cold start does
    body = json.dumps({"detail-type": event["type"], "source": event["source"], "detail": event})
    runs = 2000
    for label, operation in (
        ("build a CloudEvent (cloudevents SDK)", build),
        ("validate envelope + data (publish path)", lambda: validate_event(event)),
        ("unwrap and validate an SQS body (receive path)", lambda: event_from_sqs_record(body)),
    ):
        seconds = min(timeit.repeat(operation, number=runs, repeat=3)) / runs
        print(f"{label:<50} {seconds * 1e6:8.1f} µs/event  ({1 / seconds:,.0f}/s on one core)")


if __name__ == "__main__":
    main()
