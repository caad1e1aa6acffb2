"""How much the contract checks cost per event: build, validate before publish, receive and validate.

First the candidate validators side by side, on one example event of every type and version
in the catalog plus a five-line order.placed, each checking envelope and data with the
formats our schemas use: the reference (python-jsonschema), fastjsonschema, and jsonschema-rs
with its own format checks and with the reference's (what saga_events uses). Then the event
library's own paths with the validator it ships.

    .venv/bin/python -m benchmarks.event_path [--write-docs]
"""

import argparse
import json
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambdas"))

import fastjsonschema
import jsonschema_rs
from saga_events import IntegrationEvent, InvalidEvent, event_from_sqs_record, new_event
from saga_events.validation import FORMAT_CHECKS, validate_event

from benchmarks.report import write_section
from contracts import load_catalog, load_envelope_schema, load_event_schemas
from tests.harness.reference_validation import reference_refusal
from tools.examples import example_event

ORDER_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
LINES = [{"sku": f"SKU-{n}", "quantity": 2, "unitPrice": {"amount": 1250, "currency": "EUR"}} for n in range(5)]
DATA = {
    "orderId": ORDER_ID,
    "customerId": "customer-ada",
    "lines": LINES,
    "total": {"amount": 12500, "currency": "EUR"},
    "shippingCountry": "DE",
    # Stand-ins for the KMS ciphertexts the order API writes (validation never decrypts them).
    "encryptedPaymentMethodToken": "AQICAHh" + "A" * 249,
    "encryptedShippingAddress": "AQICAHh" + "B" * 345,
    "placedAt": "2026-01-01T00:00:00+00:00",
}
BUDGET_US = 20.0  # issue 12: validating an event may cost at most 20 µs on either path

Event = dict[str, Any]


def build() -> Event:
    return new_event(
        "order.placed", DATA, source="saga.order", correlation_id=ORDER_ID, causation_id="request-1", version=3
    )


def example_events() -> list[Event]:
    """One example of every type and version the catalog lists, and a five-line order."""
    catalog, schemas = load_catalog(), load_event_schemas()
    return [*(example_event(catalog, c, schemas[c.dataschema]) for c in catalog.events), build()]


def fastjsonschema_candidate() -> Callable[[Event], None]:
    # fastjsonschema knows drafts 4, 6 and 7 only: the schemas are compiled as draft 7, which
    # means the same for the keywords they use today but would not for prefixItems, $defs, ...
    def compile_draft7(schema: dict[str, Any]) -> Callable[[Any], Any]:
        draft7 = {**schema, "$schema": "http://json-schema.org/draft-07/schema#"}
        return fastjsonschema.compile(draft7, formats=FORMAT_CHECKS)

    envelope = compile_draft7(load_envelope_schema())
    data = {uri: compile_draft7(schema) for uri, schema in load_event_schemas().items()}

    def validate(event: Event) -> None:
        envelope(event)
        data[event["dataschema"]](event["data"])

    return validate


def jsonschema_rs_native_formats_candidate() -> Callable[[Event], None]:
    # Built as saga_events builds its validators (one per type and version, the envelope's `data`
    # a `$ref` to the data schema), but with jsonschema-rs's own format checks.
    envelope, schemas = load_envelope_schema(), load_event_schemas()
    registry = jsonschema_rs.Registry([(envelope["$id"], envelope), *schemas.items()])
    validators = {
        uri: jsonschema_rs.validator_for(
            {"$ref": envelope["$id"], "properties": {"data": {"$ref": uri}}},
            validate_formats=True,
            registry=registry,
            offline=True,
        )
        for uri in schemas
    }

    def validate(event: Event) -> None:
        validators[event["dataschema"]].validate(event)

    return validate


def cpu_us(operation: Callable[[], Any], number: int) -> float:
    """µs of CPU per call, the best of five: CPU time, because the wall clock of a shared machine
    also counts the time the neighbours had the core."""
    return min(timeit.repeat(operation, number=number, repeat=5, timer=time.process_time)) / number * 1e6


def per_event_us(validate: Callable[[Event], Any], events: list[Event], rounds: int) -> float:
    def all_events() -> None:
        for event in events:
            validate(event)

    return cpu_us(all_events, rounds) / len(events)


def received_before(body: str) -> IntegrationEvent:
    """The receive path as it was: parse, check with the reference, read."""
    cloudevent = json.loads(body)["detail"]
    if reference_refusal(cloudevent) is not None:
        raise InvalidEvent("refused")
    return IntegrationEvent.from_cloudevent(cloudevent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write-docs", action="store_true", help="rewrite its section of docs/performance.md")
    args = parser.parse_args()

    events = example_events()
    candidates: list[tuple[str, Callable[[Event], Any], int]] = [
        ("python-jsonschema 4 (the reference, and what we used before)", reference_refusal, 20),
        ("fastjsonschema, compiled (as draft 7)", fastjsonschema_candidate(), 400),
        ("jsonschema-rs, its own format checks", jsonschema_rs_native_formats_candidate(), 400),
        ("jsonschema-rs, the reference's format checks (what saga_events uses)", validate_event, 400),
    ]
    measured = [(label, per_event_us(validate, events, rounds)) for label, validate, rounds in candidates]
    reference_us = measured[0][1]
    lines = [
        f"Validating envelope + data, µs of CPU per event, mean over {len(events)} events (one of every type "
        "and version, and a five-line order):",
        "",
        "| validator | µs/event | speed-up on the reference |",
        "|---|---:|---:|",
        *(f"| {label} | {us:.1f} | {reference_us / us:.1f}x |" for label, us in measured),
    ]

    event = build()
    body = json.dumps({"detail-type": event["type"], "source": event["source"], "detail": event})
    lines += [
        "",
        "The event library's paths, a five-line order.placed, µs of CPU per event:",
        "",
        "| path | before (python-jsonschema) | now (jsonschema-rs) | speed-up | events/s on one core now |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, before, now in (
        ("validate envelope + data (publish path)", lambda: reference_refusal(event), lambda: validate_event(event)),
        (
            "unwrap and validate an SQS body (receive path)",
            lambda: received_before(body),
            lambda: event_from_sqs_record(body),
        ),
    ):
        before_us, now_us = cpu_us(before, 200), cpu_us(now, 2000)
        lines.append(f"| {label} | {before_us:.1f} | {now_us:.1f} | {before_us / now_us:.0f}x | {1e6 / now_us:,.0f} |")
    build_us = cpu_us(build, 2000)
    lines.append(f"| build a CloudEvent (cloudevents SDK; unchanged) | | {build_us:.1f} | | {1e6 / build_us:,.0f} |")
    print("\n".join(lines))
    if args.write_docs:
        section = "\n".join(
            [
                "## The event path: building and validating an event",
                "",
                *lines,
                "",
                f"Budget: {BUDGET_US:.0f} µs an event on the publish and on the receive path.",
                "",
                "Reproduce: `.venv/bin/python -m benchmarks.event_path --write-docs`.",
            ]
        )
        print(f"written to {write_section('event_path', section)}")


if __name__ == "__main__":
    main()
