"""The order saga on AWS: an event platform, then the six bounded contexts, then what to find where.

Each context receives exactly the events contracts/catalog.yaml says it consumes;
nothing but the global bus is shared between them. With the stack setting `sagaStyle:
orchestration`, each context of the catalog's saga steps also gets a task function, and a
Step Functions state machine (the order orchestrator) calls them in turn.
"""

import pulumi

from components.bounded_context import (
    BoundedContext,
    BoundedContextArgs,
    FunctionSpec,
    IndexSpec,
    TableSpec,
    queue_worker,
    saga_task,
)
from components.field_keys import producers_writing_for
from components.identity import CustomerIdentity, ExternalIssuer
from components.order_api import OrderHttpApi
from components.order_orchestrator import OrderOrchestrator, state_machine_arn
from components.platform import EventPlatform
from components.settings import StackSettings
from contracts import load_catalog

settings = StackSettings.from_config()
catalog = load_catalog()

platform = EventPlatform("saga", catalog, settings)
built: dict[str, BoundedContext] = {}
orchestrated = settings.orchestrated


def task_of(tables: list[str], *, publishes: bool = True) -> list[FunctionSpec]:
    """The context's saga task, on an orchestrated stack alone."""
    return [saga_task(tables, publishes=publishes)] if orchestrated else []


def bounded_context(
    name: str,
    tables: list[TableSpec],
    functions: list[FunctionSpec],
    topics: tuple[str, ...] = (),
    environment: dict[str, str] | None = None,
) -> BoundedContext:
    """One context, wired from the catalog, its state exported under its name."""
    # Whoever encrypts fields for this context (the schemas say which) was built before it.
    writers = [role for producer in producers_writing_for(catalog, name) for role in built[producer].sealing_roles]
    context = BoundedContext(
        name,
        BoundedContextArgs(
            platform=platform,
            catalog=catalog,
            settings=settings,
            tables=tables,
            functions=functions,
            topics=topics,
            extra_environment=environment or {},
            field_writer_roles=writers,
        ),
    )
    built[name] = context
    pulumi.export(name, context.outputs)
    return context


pulumi.export("globalBusName", platform.bus.name)
pulumi.export("globalBusArn", platform.bus.arn)
pulumi.export("eventArchiveArn", platform.archive.arn)
pulumi.export("eventLogGroup", platform.event_log.name)
pulumi.export("operationsTopicArn", platform.operations_topic.arn)

order = bounded_context(
    "order",
    tables=[
        TableSpec(
            "orders",
            hash_key="pk",
            range_key="sk",
            stream=True,
            ttl_attribute="expiresAt",
            # Open orders alone, by deadline (lambdas/order/store.py): what the sweeper reads.
            indexes=(IndexSpec("open-orders-by-deadline", hash_key="openShard", range_key="deadline"),),
        )
    ],
    functions=[
        FunctionSpec("api", "api.handle", tables=["orders", "idempotency"], trigger="http", seals_fields=True),
        FunctionSpec(
            "outbox-relay",
            "outbox_relay.handle",
            tables=[],
            trigger="stream",
            publishes=True,
            stream_table="orders",
            # Only new outbox entries of the timeline are events; the order item and received events are not.
            stream_filter={"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["outbox"]}}}},
            # Orchestrated: it starts each order's execution from its order.placed (order/saga_start.py).
            starts_executions_of=state_machine_arn() if orchestrated else None,
        ),
        # The order's own events leave through the outbox, so its worker never publishes.
        queue_worker(["orders"], entry_point="worker.handle", publishes=False),
        # Ends the sagas of orders still open after their deadline (through the outbox too).
        FunctionSpec(
            "sweeper",
            "sweeper.handle",
            tables=["orders"],
            trigger="schedule",
            schedule=settings.sweeper_schedule,
            indexes=["orders/open-orders-by-deadline"],
        ),
        # Confirms the order, or cancels it once the compensations ran (through the outbox too).
        *task_of(["orders"], publishes=False),
    ],
    environment={
        "ORDER_DEADLINE_SECONDS": str(settings.order_deadline_seconds),
        "ORDER_DEADLINE_GRACE_SECONDS": str(settings.order_deadline_grace_seconds),
        # Who confirms an order: its worker on shipping.scheduled, or the state machine's last step.
        "SAGA_STYLE": settings.saga_style,
    },
)
# What the stack promises about time: an order is decided this long after it is placed, and the
# sweeper looks this often (the end-to-end tests wait by them).
pulumi.export("orderDeadlineSeconds", settings.order_deadline_seconds)
pulumi.export("sweeperSchedule", settings.sweeper_schedule)
identity = CustomerIdentity(
    "saga",
    ExternalIssuer(settings.jwt_issuer, settings.jwt_audiences) if settings.jwt_issuer else None,
)
order_api = OrderHttpApi(
    "order",
    order.functions["api"],
    platform.operations_topic.arn,
    settings.function_log_retention_days,
    identity,
    settings.api_throttling_rate_limit,
    settings.api_throttling_burst_limit,
)

inventory = bounded_context(
    "inventory",
    tables=[TableSpec("stock", hash_key="sku"), TableSpec("reservations", hash_key="orderId")],
    functions=[queue_worker(["stock", "reservations"]), *task_of(["stock", "reservations"])],
)

payment = bounded_context(
    "payment",
    # "gateway" stands in for the payment provider's side of the simulated gateway.
    tables=[TableSpec("payments", hash_key="orderId"), TableSpec("gateway", hash_key="chargeKey")],
    functions=[queue_worker(["payments", "gateway"]), *task_of(["payments", "gateway"])],
)

shipping = bounded_context(
    "shipping",
    tables=[TableSpec("shipments", hash_key="orderId")],
    functions=[queue_worker(["shipments"]), *task_of(["shipments"])],
    environment={"SERVED_COUNTRIES": ",".join(settings.served_countries)},
)

loyalty = bounded_context(
    "loyalty",
    tables=[TableSpec("ledger", hash_key="customerId", range_key="entry")],
    functions=[queue_worker(["ledger"]), *task_of(["ledger"])],
)

notification = bounded_context(
    "notification",
    tables=[],
    functions=[queue_worker(publishes=False, topics=["customer-notifications"])],
    topics=("customer-notifications",),
)

pulumi.export("sagaStyle", settings.saga_style)
if orchestrated:
    assert catalog.orchestration is not None, "sagaStyle orchestration needs the catalog's orchestration steps"
    orchestrator = OrderOrchestrator(
        "order-orchestrator",
        catalog.orchestration,
        {name: built[name].functions["task"].function for name in catalog.orchestration.contexts},
        settings,
    )
    pulumi.export("orchestrator", orchestrator.outputs)

pulumi.export("orderApiUrl", order_api.url)
# The API's id: its 5xx alarm's dimension, which `ops health` reads too.
pulumi.export("orderApiId", order_api.api.id)
pulumi.export("customerTokenIssuer", identity.issuer)
if identity.user_pool_id is not None:
    pulumi.export("customerUserPoolId", identity.user_pool_id)
    pulumi.export("customerUserPoolClientId", identity.client_id)
