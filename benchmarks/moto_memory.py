"""Does the embedded cloud's moto stay flat under load? Memory and throughput per order.

Starts a fresh moto server (nothing deployed, no functions) and replays, per order,
the requests the saga makes of it: on an orders table with a stream, three
transactions of three puts (order + outbox + timeline), timeline puts, reads and a
query, a stream read by the outbox relay, one transaction in ten cancelled by a
stale version; conditional writes on stock, reservation, payment and idempotency
tables; five events put on a global bus whose rules forward them to a private bus
and on to a queue, where a worker receives and deletes them.

    .venv/bin/python -m benchmarks.moto_memory [--orders 1000]
    .venv/bin/python -m benchmarks.moto_memory --stock --orders 200      # moto without our fixes
    .venv/bin/python -m benchmarks.moto_memory --without weak_instance_tracking

Prints moto's RSS every 100 orders, then RSS at start and end, KB per order, and
orders/s over the first and the last 100 orders. What remains per order is what AWS
would hold too: the items written and 24 hours of stream records.
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from localcloud.emulator.clients import client
from localcloud.emulator.patches import PATCHES
from localcloud.emulator.server import MotoServer

_EVENT_TYPES = ("order.placed", "inventory.reserved", "payment.captured", "shipping.scheduled", "order.confirmed")
_WINDOW = 100


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _key_schema(*names: str) -> dict[str, Any]:
    kinds = ("HASH", "RANGE")
    return {
        "KeySchema": [{"AttributeName": name, "KeyType": kind} for name, kind in zip(names, kinds, strict=False)],
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"} for name in names],
        "BillingMode": "PAY_PER_REQUEST",
    }


class RequestClock:
    """Time spent per API operation, so a slowdown names its operation."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._started: dict[str, float] = {}

    def watch(self, aws_client: Any) -> Any:
        aws_client.meta.events.register("before-call", self._before)
        aws_client.meta.events.register("after-call", self._after)
        return aws_client

    def _before(self, model: Any, **_: Any) -> None:
        self._started[model.name] = time.perf_counter()

    def _after(self, model: Any, **_: Any) -> None:
        self.seconds[model.name] += time.perf_counter() - self._started.pop(model.name)
        self.calls[model.name] += 1

    def lap(self) -> dict[str, float]:
        """Mean milliseconds per operation since the last lap."""
        means = {name: 1000 * self.seconds[name] / self.calls[name] for name in self.calls}
        self.seconds.clear()
        self.calls.clear()
        return means


class OrderTraffic:
    """The requests one order makes of moto, against resources made once."""

    def __init__(self, endpoint_url: str, clock: RequestClock) -> None:
        self.dynamodb = clock.watch(client("dynamodb", endpoint_url))
        self.streams = clock.watch(client("dynamodbstreams", endpoint_url))
        self.sqs = clock.watch(client("sqs", endpoint_url))
        self.events = clock.watch(client("events", endpoint_url))
        orders = self.dynamodb.create_table(
            TableName="orders",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            **_key_schema("pk", "sk"),
        )
        for table in ("stock", "reservations", "payments", "idempotency"):
            self.dynamodb.create_table(TableName=table, **_key_schema("id"))
        self.dynamodb.put_item(TableName="stock", Item={"id": {"S": "MUG"}, "available": {"N": "1000000000"}})
        stream_arn = orders["TableDescription"]["LatestStreamArn"]
        [shard] = self.streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        self.relay_iterator = self.streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
        )["ShardIterator"]
        self.queue_url = self.sqs.create_queue(QueueName="workers")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        private_bus = self.events.create_event_bus(Name="private")["EventBusArn"]
        self.events.create_event_bus(Name="global")
        pattern = json.dumps({"source": [{"prefix": "saga."}]})
        self.events.put_rule(Name="to-private", EventBusName="global", EventPattern=pattern)
        self.events.put_targets(Rule="to-private", EventBusName="global", Targets=[{"Id": "bus", "Arn": private_bus}])
        self.events.put_rule(Name="to-workers", EventBusName="private", EventPattern=pattern)
        self.events.put_targets(Rule="to-workers", EventBusName="private", Targets=[{"Id": "q", "Arn": queue_arn}])

    def place(self, number: int) -> None:
        order_id = uuid.uuid4().hex
        pk = {"S": f"ORDER#{order_id}"}
        for version, status in enumerate(("PLACED", "PAID", "CONFIRMED"), start=1):
            self._change_order(pk, version, status)
            self.dynamodb.get_item(TableName="orders", Key={"pk": pk, "sk": {"S": "ORDER"}}, ConsistentRead=True)
            self._relay_reads()
        if number % 10 == 0:
            self._stale_change(pk)
        for event_type in _EVENT_TYPES:
            self._publish(order_id, event_type)
            self._worker_handles(order_id, event_type)
        self.dynamodb.query(
            TableName="orders",
            KeyConditionExpression="pk = :pk AND begins_with(sk, :timeline)",
            ExpressionAttributeValues={":pk": pk, ":timeline": {"S": "TIMELINE#"}},
        )

    def _change_order(self, pk: dict[str, str], version: int, status: str) -> None:
        condition = (
            {"ConditionExpression": "attribute_not_exists(pk)"}
            if version == 1
            else {
                "ConditionExpression": "version = :previous",
                "ExpressionAttributeValues": {":previous": {"N": str(version - 1)}},
            }
        )
        event_id = uuid.uuid4().hex
        event = json.dumps({"id": event_id, "type": status, "data": {"lines": [{"sku": "MUG", "quantity": 1}]}})
        order = {"pk": pk, "sk": {"S": "ORDER"}, "status": {"S": status}, "version": {"N": str(version)}}
        self.dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "orders", "Item": order, **condition}},
                {
                    "Put": {
                        "TableName": "orders",
                        "Item": {"pk": pk, "sk": {"S": f"OUTBOX#{event_id}"}, "e": {"S": event}},
                    }
                },
                {
                    "Put": {
                        "TableName": "orders",
                        "Item": {"pk": pk, "sk": {"S": f"TIMELINE#{event_id}"}, "e": {"S": event}},
                    }
                },
            ]
        )

    def _stale_change(self, pk: dict[str, str]) -> None:
        stale = {
            "Put": {
                "TableName": "orders",
                "Item": {"pk": pk, "sk": {"S": "ORDER"}, "status": {"S": "CANCELLED"}, "version": {"N": "2"}},
                "ConditionExpression": "version = :previous",
                "ExpressionAttributeValues": {":previous": {"N": "1"}},
            }
        }
        outbox = {"Put": {"TableName": "orders", "Item": {"pk": pk, "sk": {"S": "OUTBOX#stale"}}}}
        try:
            self.dynamodb.transact_write_items(TransactItems=[stale, outbox])
        except self.dynamodb.exceptions.TransactionCanceledException:
            return
        raise AssertionError("a change from a stale version committed")

    def _relay_reads(self) -> None:
        response = self.streams.get_records(ShardIterator=self.relay_iterator, Limit=100)
        self.relay_iterator = response["NextShardIterator"]

    def _publish(self, order_id: str, event_type: str) -> None:
        detail = json.dumps({"orderId": order_id, "lines": [{"sku": "MUG", "quantity": 1}]})
        self.events.put_events(
            Entries=[{"EventBusName": "global", "Source": "saga.bench", "DetailType": event_type, "Detail": detail}]
        )

    def _worker_handles(self, order_id: str, event_type: str) -> None:
        for message in self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", []):
            self._remember_handled(f"{order_id}:{event_type}")
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        if event_type == "order.placed":
            self.dynamodb.update_item(
                TableName="stock",
                Key={"id": {"S": "MUG"}},
                UpdateExpression="SET available = available - :one",
                ConditionExpression="available >= :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
            self.dynamodb.put_item(TableName="reservations", Item={"id": {"S": order_id}, "sku": {"S": "MUG"}})
        elif event_type == "inventory.reserved":
            self.dynamodb.put_item(
                TableName="payments",
                Item={"id": {"S": order_id}, "status": {"S": "CAPTURED"}},
                ConditionExpression="attribute_not_exists(id)",
            )
            self.dynamodb.get_item(TableName="payments", Key={"id": {"S": order_id}})

    def _remember_handled(self, event_key: str) -> None:
        # What Powertools' idempotency layer does per message: claim, then complete.
        self.dynamodb.put_item(
            TableName="idempotency",
            Item={"id": {"S": event_key}, "status": {"S": "INPROGRESS"}},
            ConditionExpression="attribute_not_exists(id)",
        )
        self.dynamodb.update_item(
            TableName="idempotency",
            Key={"id": {"S": event_key}},
            UpdateExpression="SET #s = :done",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":done": {"S": "COMPLETED"}},
        )


def _live_objects(endpoint_url: str) -> str:
    with urllib.request.urlopen(f"{endpoint_url}/moto-api/data.json", timeout=600) as response:
        data = json.load(response)
    counts = {name: len(objects) for models in data.values() for name, objects in models.items() if objects}
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items(), key=lambda c: -c[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--stock", action="store_true", help="moto without any of localcloud's fixes")
    parser.add_argument("--without", action="append", default=[], choices=sorted(PATCHES), help="leave one fix out")
    parser.add_argument("--max-rss-mb", type=float, default=3000, help="stop early when moto grows past this")
    parser.add_argument("--count-objects", action="store_true", help="also list moto's live model objects at the end")
    args = parser.parse_args()
    without = sorted(PATCHES) if args.stock else args.without

    with MotoServer(without_patches=without) as server:
        assert server.process_id is not None
        clock = RequestClock()
        traffic = OrderTraffic(server.endpoint_url, clock)
        traffic.place(0)  # warm every path once
        clock.lap()
        start_rss = rss_mb(server.process_id)
        print(f"moto {'without ' + ', '.join(without) if without else 'with every fix'}: RSS {start_rss:.0f} MB")
        window_started = began = time.monotonic()
        rates: list[float] = []
        latencies: list[dict[str, float]] = []
        placed = window_first = 0
        for number in range(1, args.orders + 1):
            traffic.place(number)
            placed = number
            if number % _WINDOW == 0 or number == args.orders:
                now = time.monotonic()
                rates.append((number - window_first) / (now - window_started))
                window_started, window_first = now, number
                latencies.append(clock.lap())
                rss = rss_mb(server.process_id)
                print(f"  {number:5d} orders: RSS {rss:7.0f} MB, {rates[-1]:5.1f} orders/s over the last window")
                if rss > args.max_rss_mb:
                    print(f"  stopped: moto passed {args.max_rss_mb:.0f} MB")
                    break
        end_rss = rss_mb(server.process_id)
        elapsed = time.monotonic() - began
        if args.count_objects:
            print(f"  live moto objects: {_live_objects(server.endpoint_url)}")
    slowest = sorted(latencies[-1], key=lambda name: -latencies[-1][name])[:5]
    print(
        "  mean ms per request, first window -> last: "
        + ", ".join(f"{name} {latencies[0][name]:.1f} -> {latencies[-1][name]:.1f}" for name in slowest)
    )
    print(
        f"{placed} orders in {elapsed:.0f}s: moto RSS {start_rss:.0f} MB -> {end_rss:.0f} MB "
        f"({(end_rss - start_rss) * 1024 / placed:.1f} KB per order); "
        f"{rates[0]:.1f} orders/s over the first {_WINDOW}, {rates[-1]:.1f} over the last"
    )


if __name__ == "__main__":
    main()
