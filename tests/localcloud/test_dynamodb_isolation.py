"""DynamoDB writes from many function instances at once stay isolated, as on AWS."""

import contextlib
import threading
import uuid

from localcloud.emulator.clients import client


def test_a_cancelled_transaction_loses_no_write_made_meanwhile(cloud):
    dynamodb = client("dynamodb", cloud.endpoint_url)
    table = f"isolation-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    # A table with some history, so a transaction takes a while to back it up.
    for i in range(200):
        dynamodb.put_item(TableName=table, Item={"pk": {"S": f"old-{i}"}, "pad": {"S": "x" * 200}})
    stop = threading.Event()

    def cancel_transactions() -> None:
        # What concurrent workers do to one order: a conditional transaction that loses the race.
        other = client("dynamodb", cloud.endpoint_url)
        while not stop.is_set():
            with contextlib.suppress(other.exceptions.TransactionCanceledException):
                other.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": table,
                                "Item": {"pk": {"S": "old-1"}},
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        }
                    ]
                )

    canceller = threading.Thread(target=cancel_transactions)
    canceller.start()
    try:
        written = [f"new-{i}" for i in range(150)]
        for key in written:
            dynamodb.put_item(TableName=table, Item={"pk": {"S": key}})
    finally:
        stop.set()
        canceller.join()

    lost = [
        key
        for key in written
        if "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True)
    ]
    assert lost == []
