"""The generated docs: valid AsyncAPI, valid examples, and up to date with contracts/."""

import json
import re

import pytest
from saga_events.validation import validate_event

from contracts import load_catalog
from tools.asyncapi import asyncapi_errors
from tools.docs import ASYNCAPI_JSON, DOCS_DIR, EVENTS_MD, render, stale_files, write

CATALOG = load_catalog()


@pytest.fixture(scope="module")
def generated():
    return render()


@pytest.fixture(scope="module")
def asyncapi(generated):
    return json.loads(generated[ASYNCAPI_JSON])


def json_examples(markdown):
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", markdown, re.DOTALL)]


def test_committed_asyncapi_document_is_valid_against_the_official_schema():
    assert asyncapi_errors(json.loads((DOCS_DIR / ASYNCAPI_JSON).read_text())) == []


def test_the_official_schema_rejects_an_invalid_document(asyncapi):
    # Guards against a vendored schema (or validator class) that accepts anything.
    broken = json.loads(json.dumps(asyncapi))
    broken["operations"]["order.send"]["action"] = "publish"
    broken["components"]["correlationIds"]["saga"]["location"] = "payload.correlationid"
    errors = asyncapi_errors(broken)
    assert any("operations/order.send" in e for e in errors)
    assert any("correlationIds/saga" in e for e in errors)


def test_asyncapi_has_one_message_per_event_and_operations_from_the_catalog(asyncapi):
    messages = asyncapi["channels"]["globalBus"]["messages"]
    assert set(messages) == {f"{e.type}.v{e.version}" for e in CATALOG.events}
    for context in CATALOG.contexts:
        for action, events in (("send", CATALOG.produced_by(context)), ("receive", CATALOG.consumed_by(context))):
            operation = asyncapi["operations"].get(f"{context}.{action}", {"messages": []})
            refs = {m["$ref"].rsplit("/", 1)[1] for m in operation["messages"]}
            assert refs == {f"{e.type}.v{e.version}" for e in events}, (context, action)
    for message in asyncapi["components"]["messages"].values():
        assert message["contentType"] == "application/cloudevents+json"
        assert message["correlationId"] == {"$ref": "#/components/correlationIds/saga"}
    assert asyncapi["components"]["correlationIds"]["saga"]["location"] == "$message.payload#/correlationid"


def test_asyncapi_message_examples_are_valid_events(asyncapi):
    examples = [example for message in asyncapi["components"]["messages"].values() for example in message["examples"]]
    assert len(examples) >= len(CATALOG.events)
    for example in examples:
        validate_event(example["payload"])


def test_every_example_in_events_md_is_a_valid_event(generated):
    for markdown in (generated[EVENTS_MD], (DOCS_DIR / EVENTS_MD).read_text()):
        examples = json_examples(markdown)
        assert [(e["type"], e["dataschema"]) for e in examples] == [(c.type, c.dataschema) for c in CATALOG.events]
        for example in examples:
            validate_event(example)


def test_events_md_draws_an_edge_per_producer_and_consumer(generated):
    for contract in CATALOG.events:
        for consumer in contract.consumers:
            edge = f'{contract.producer} -->|"{contract.type} v{contract.version}"| {consumer}'
            assert edge in generated[EVENTS_MD]


def test_events_md_flattens_nested_objects_and_arrays(generated):
    assert "| `lines[].unitPrice.amount` | integer | yes |" in generated[EVENTS_MD]
    assert "| `total.currency` | string | yes |" in generated[EVENTS_MD]


def test_committed_docs_are_up_to_date():
    assert stale_files() == [], "docs/ is out of date: run `python -m tools.docs`"


def test_out_of_date_or_missing_docs_are_detected(tmp_path):
    write(tmp_path)
    assert stale_files(tmp_path) == []
    (tmp_path / EVENTS_MD).write_text((tmp_path / EVENTS_MD).read_text().replace("order.placed", "order.made"))
    (tmp_path / ASYNCAPI_JSON).unlink()
    assert stale_files(tmp_path) == [EVENTS_MD, ASYNCAPI_JSON]
