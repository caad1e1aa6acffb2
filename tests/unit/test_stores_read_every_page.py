"""Readers of DynamoDB follow LastEvaluatedKey: a query answers at most 1 MB, and what lies beyond
its first page is still the customer's ledger and the order's timeline."""

import json

import boto3
from botocore.stub import Stubber
from loyalty.store import LedgerStore
from order.store import OrderStore


def paged(client, pages: list[list[dict]]) -> Stubber:
    """A client whose queries answer these pages in turn, each but the last saying there is more."""
    stubber = Stubber(client)
    for number, items in enumerate(pages):
        more = {"LastEvaluatedKey": {"pk": {"S": f"page-{number}"}}} if number < len(pages) - 1 else {}
        stubber.add_response("query", {"Items": items, **more})
    return stubber


def a_client():
    return boto3.client("dynamodb", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_a_ledger_beyond_one_page_is_read_whole():
    client = a_client()
    entries = [{"orderId": {"S": f"order-{n}"}, "kind": {"S": "AWARD"}, "points": {"N": str(n)}} for n in range(1, 4)]
    with paged(client, [entries[:2], entries[2:]]) as stubber:
        ledger = LedgerStore(client, "ledger").entries("cust-42")
        stubber.assert_no_pending_responses()
    assert [(entry.order_id, entry.points) for entry in ledger] == [("order-1", 1), ("order-2", 2), ("order-3", 3)]


def test_a_timeline_beyond_one_page_is_read_whole():
    client = a_client()

    def entry(n: int) -> dict:
        event = {"id": f"event-{n}", "time": f"2026-01-01T00:00:0{n}+00:00", "type": "inventory.reserved"}
        return {"pk": {"S": "ORDER#o-1"}, "sk": {"S": f"TIMELINE#event-{n}"}, "event": {"S": json.dumps(event)}}

    with paged(client, [[entry(3), entry(1)], [entry(2)]]) as stubber:
        timeline = OrderStore(client, "orders").timeline("o-1")
        stubber.assert_no_pending_responses()
    assert [event["id"] for event in timeline] == ["event-1", "event-2", "event-3"]
