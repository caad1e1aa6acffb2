"""The order saga on AWS: an event platform, then the bounded contexts, then what to find where."""

import pulumi

from components.bounded_context import (
    IDEMPOTENCY_TABLE,
    BoundedContext,
    BoundedContextArgs,
    FunctionSpec,
    TableSpec,
)
from components.order_api import OrderHttpApi
from components.platform import EventPlatform
from components.settings import StackSettings
from contracts import load_catalog

settings = StackSettings.from_config()
catalog = load_catalog()

platform = EventPlatform("saga", catalog, settings)


def context(name: str, tables: list[TableSpec], functions: list[FunctionSpec]) -> BoundedContext:
    return BoundedContext(
        name,
        BoundedContextArgs(
            platform=platform,
            catalog=catalog,
            settings=settings,
            tables=tables,
            functions=functions,
        ),
    )


order = context(
    "order",
    tables=[
        TableSpec("orders", hash_key="pk", range_key="sk", stream=True, ttl_attribute="expiresAt"),
        IDEMPOTENCY_TABLE,
    ],
    functions=[
        FunctionSpec("api", "order.api.handle", tables=["orders", "idempotency"], trigger="http"),
        FunctionSpec(
            "outbox-relay",
            "order.outbox_relay.handle",
            tables=[],
            trigger="stream",
            publishes=True,
            stream_table="orders",
            # Only new outbox items: order and timeline items, and TTL deletions, are not events.
            stream_filter={
                "eventName": ["INSERT"],
                "dynamodb": {"NewImage": {"kind": {"S": ["outbox"]}}},
            },
        ),
        FunctionSpec(
            "worker",
            "order.worker.handle",
            tables=["orders", "idempotency"],
            trigger="queue",
            publishes=False,
        ),
    ],
)
order_api = OrderHttpApi(
    "order",
    order.functions["api"],
    platform.operations_topic.arn,
    settings.function_log_retention_days,
)

inventory = context(
    "inventory",
    tables=[
        TableSpec("stock", hash_key="sku"),
        TableSpec("reservations", hash_key="orderId"),
        IDEMPOTENCY_TABLE,
    ],
    functions=[
        FunctionSpec(
            "worker",
            "inventory.handler.handle",
            tables=["stock", "reservations", "idempotency"],
            trigger="queue",
            publishes=True,
        )
    ],
)

contexts = {"order": order, "inventory": inventory}

pulumi.export("orderApiUrl", order_api.url)
pulumi.export("globalBusName", platform.bus.name)
pulumi.export("eventLogGroup", platform.event_log.name)
pulumi.export("operationsTopicArn", platform.operations_topic.arn)
for name, bounded_context in contexts.items():
    pulumi.export(
        name,
        {
            "busName": bounded_context.private_bus.name,
            "queueUrl": bounded_context.queue.url if bounded_context.queue else None,
            "deadLetterQueueUrl": bounded_context.dead_letter_queue.url,
            "tables": {table: resource.name for table, resource in bounded_context.tables.items()},
            "functions": {fn: resource.function.name for fn, resource in bounded_context.functions.items()},
        },
    )
