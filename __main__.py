"""The order saga on AWS: an event platform, then the six bounded contexts, then what to find where.

Each context receives exactly the events contracts/catalog.yaml says it consumes;
nothing but the global bus is shared between them.
"""

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


def bounded_context(
    name: str,
    tables: list[TableSpec],
    functions: list[FunctionSpec],
    topics: tuple[str, ...] = (),
    environment: dict[str, str] | None = None,
) -> BoundedContext:
    return BoundedContext(
        name,
        BoundedContextArgs(
            platform=platform,
            catalog=catalog,
            settings=settings,
            tables=[*tables, IDEMPOTENCY_TABLE],
            functions=functions,
            topics=topics,
            extra_environment=environment or {},
        ),
    )


def worker(context: str, handler: str, tables: list[str], publishes: bool = True, **kwargs: object) -> FunctionSpec:
    """A context's queue consumer, deduplicating through the context's idempotency table."""
    return FunctionSpec(
        "worker", handler, tables=[*tables, "idempotency"], trigger="queue", publishes=publishes, **kwargs
    )


order = bounded_context(
    "order",
    tables=[TableSpec("orders", hash_key="pk", range_key="sk", stream=True, ttl_attribute="expiresAt")],
    functions=[
        FunctionSpec("api", "order.api.handle", tables=["orders", "idempotency"], trigger="http"),
        FunctionSpec(
            "outbox-relay",
            "order.outbox_relay.handle",
            tables=[],
            trigger="stream",
            publishes=True,
            stream_table="orders",
            # Only new outbox items are events; order and timeline items, and TTL deletions, are not.
            stream_filter={"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["outbox"]}}}},
        ),
        # The order's own events leave through the outbox, so its worker never publishes.
        worker("order", "order.worker.handle", ["orders"], publishes=False),
    ],
)
order_api = OrderHttpApi(
    "order", order.functions["api"], platform.operations_topic.arn, settings.function_log_retention_days
)

inventory = bounded_context(
    "inventory",
    tables=[TableSpec("stock", hash_key="sku"), TableSpec("reservations", hash_key="orderId")],
    functions=[worker("inventory", "inventory.handler.handle", ["stock", "reservations"])],
)

payment = bounded_context(
    "payment",
    # "gateway" stands in for the payment provider's side of the simulated gateway.
    tables=[TableSpec("payments", hash_key="orderId"), TableSpec("gateway", hash_key="chargeKey")],
    functions=[worker("payment", "payment.handler.handle", ["payments", "gateway"])],
)

shipping = bounded_context(
    "shipping",
    tables=[TableSpec("shipments", hash_key="orderId")],
    functions=[worker("shipping", "shipping.handler.handle", ["shipments"])],
    environment={"SERVED_COUNTRIES": ",".join(settings.served_countries)},
)

loyalty = bounded_context(
    "loyalty",
    tables=[TableSpec("ledger", hash_key="customerId", range_key="entry")],
    functions=[worker("loyalty", "loyalty.handler.handle", ["ledger"])],
)

notification = bounded_context(
    "notification",
    tables=[],
    functions=[
        worker("notification", "notification.handler.handle", [], publishes=False, topics=["customer-notifications"])
    ],
    topics=("customer-notifications",),
)

contexts = [order, inventory, payment, shipping, loyalty, notification]

pulumi.export("orderApiUrl", order_api.url)
pulumi.export("globalBusName", platform.bus.name)
pulumi.export("eventLogGroup", platform.event_log.name)
pulumi.export("operationsTopicArn", platform.operations_topic.arn)
for context in contexts:
    pulumi.export(context.context_name, context.outputs)
