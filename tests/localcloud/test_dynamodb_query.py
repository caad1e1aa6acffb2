"""Queries on the embedded cloud read one partition, and still filter, sort and page as AWS does."""

import uuid
from typing import Any

import pytest

from localcloud.emulator.clients import client


@pytest.fixture
def ledger(bare_moto) -> str:
    dynamodb = client("dynamodb", bare_moto)
    name = f"ledger-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"}, {"AttributeName": "entry", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "customer", "AttributeType": "N"},
            {"AttributeName": "entry", "AttributeType": "S"},
            {"AttributeName": "kind", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-kind",
                "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for customer in (1, 2, 3):
        for entry in ("AWARD#2", "AWARD#1", "REVOKE#1", "AWARD#3"):
            kind = entry.split("#")[0]
            item = {"customer": {"N": str(customer)}, "entry": {"S": entry}, "kind": {"S": kind}}
            dynamodb.put_item(TableName=name, Item=item)
    return name


def _entries(response: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["customer"]["N"], item["entry"]["S"]) for item in response["Items"]]


def test_a_query_returns_its_partition_sorted_and_filtered(bare_moto, ledger):
    dynamodb = client("dynamodb", bare_moto)

    awards = dynamodb.query(
        TableName=ledger,
        KeyConditionExpression="customer = :c AND begins_with(entry, :award)",
        ExpressionAttributeValues={":c": {"N": "2.0"}, ":award": {"S": "AWARD#"}},
        ScanIndexForward=False,
    )
    assert _entries(awards) == [("2", "AWARD#3"), ("2", "AWARD#2"), ("2", "AWARD#1")]

    nobody = dynamodb.query(
        TableName=ledger, KeyConditionExpression="customer = :c", ExpressionAttributeValues={":c": {"N": "9"}}
    )
    assert nobody["Items"] == []


def test_a_query_pages_through_its_partition(bare_moto, ledger):
    dynamodb = client("dynamodb", bare_moto)
    pages, start = [], {}
    while True:
        page = dynamodb.query(
            TableName=ledger,
            KeyConditionExpression="customer = :c",
            ExpressionAttributeValues={":c": {"N": "3"}},
            Limit=3,
            **start,
        )
        pages.append(_entries(page))
        if "LastEvaluatedKey" not in page:
            break
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    assert pages[0] == [("3", "AWARD#1"), ("3", "AWARD#2"), ("3", "AWARD#3")]
    assert [entry for page in pages for entry in page] == pages[0] + [("3", "REVOKE#1")]


def test_a_query_on_an_index_still_reads_every_partition(bare_moto, ledger):
    dynamodb = client("dynamodb", bare_moto)

    revocations = dynamodb.query(
        TableName=ledger,
        IndexName="by-kind",
        KeyConditionExpression="kind = :k",
        ExpressionAttributeValues={":k": {"S": "REVOKE"}},
    )

    assert sorted(_entries(revocations)) == [("1", "REVOKE#1"), ("2", "REVOKE#1"), ("3", "REVOKE#1")]


def test_a_query_on_a_table_without_sort_key_returns_its_one_item(bare_moto):
    dynamodb = client("dynamodb", bare_moto)
    name = f"stock-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "sku", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "sku", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for sku in ("MUG", "CAP"):
        dynamodb.put_item(TableName=name, Item={"sku": {"S": sku}, "available": {"N": "3"}})

    found = dynamodb.query(
        TableName=name, KeyConditionExpression="sku = :s", ExpressionAttributeValues={":s": {"S": "CAP"}}
    )

    assert found["Items"] == [{"sku": {"S": "CAP"}, "available": {"N": "3"}}]
