"""A bounded context: its private bus, its queue and dead-letter queue, its tables, its functions.

Nothing is shared between contexts but the global bus. What a context receives is
decided by the event catalog: a rule on the global bus forwards exactly those
events to the private bus, whose rule delivers them to the context's queue.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components import alarms, policies
from components.field_keys import field_key_alias, fields_read_by, readers_of_fields_produced_by
from components.function import ContextFunction, FunctionArgs
from components.platform import EventPlatform
from components.routing import consumed_events_pattern
from components.schedule import FunctionSchedule
from components.settings import StackSettings
from contracts import Catalog

# The environment variables saga_events.sealing reads (the Lambda bundle's, not imported here).
SEALED_FIELD_KEYS = "SEALED_FIELD_KEYS"
FIELD_KEY = "FIELD_KEY"

# SQS must keep a message hidden while Lambda may still be working on it, retries included.
VISIBILITY_TIMEOUT_FACTOR = 6
FOURTEEN_DAYS = 14 * 24 * 3600


@dataclass(frozen=True)
class IndexSpec:
    """A global secondary index with string keys; KEYS_ONLY: a reader fetches the item it needs."""

    name: str
    hash_key: str
    range_key: str | None = None


@dataclass(frozen=True)
class TableSpec:
    name: str
    hash_key: str
    range_key: str | None = None
    stream: bool = False
    ttl_attribute: str | None = None
    indexes: tuple[IndexSpec, ...] = ()

    @property
    def environment_variable(self) -> str:
        return f"{self.name.upper().replace('-', '_')}_TABLE"


# Powertools' idempotency table: its default key and expiry attribute names. Every context gets
# one; its queue worker always deduplicates through it, other functions name it when they need it.
IDEMPOTENCY_TABLE = TableSpec("idempotency", hash_key="id", ttl_attribute="expiration")
# Where a function finds the `source` its context's events carry (the catalog's, never a constant).
EVENT_SOURCE_VARIABLE = "EVENT_SOURCE"
# Where the outbox relay finds the state machine it starts an execution of per order (orchestration).
SAGA_STATE_MACHINE_VARIABLE = "SAGA_STATE_MACHINE_ARN"


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    # "module.function" inside the context's package (lambdas/<context>/); Lambda's handler
    # string, "<context>.module.function", is derived from it.
    entry_point: str
    tables: Sequence[str]
    # "schedule": EventBridge Scheduler invokes it on `schedule` (components/schedule.py).
    # "task": the saga's state machine invokes it (sagaStyle orchestration; components/order_orchestrator.py).
    trigger: Literal["queue", "stream", "http", "schedule", "task"]
    publishes: bool = False
    # For a stream trigger: the table whose stream feeds it and the records it wants.
    stream_table: str | None = None
    stream_filter: dict | None = None
    timeout_seconds: int | None = None
    topics: Sequence[str] = ()
    # Builds events with encrypted fields (contracts/sealed.py), so may encrypt for their readers.
    seals_fields: bool = False
    # For a schedule trigger: a Scheduler expression, e.g. "rate(1 minute)".
    schedule: str | None = None
    # "table/index" names of the secondary indexes it queries (any other function queries none).
    indexes: Sequence[str] = ()
    # The state machine whose executions it starts (sagaStyle orchestration): its ARN.
    starts_executions_of: pulumi.Input[str] | None = None


def saga_task(tables: Sequence[str] = (), *, publishes: bool = True) -> FunctionSpec:
    """A context's Step Functions task handler (`task.handle`), for sagaStyle orchestration."""
    return FunctionSpec("task", "task.handle", tables=tables, trigger="task", publishes=publishes)


def queue_worker(
    tables: Sequence[str] = (),
    *,
    entry_point: str = "handler.handle",
    publishes: bool = True,
    topics: Sequence[str] = (),
    timeout_seconds: int | None = None,
) -> FunctionSpec:
    """A context's consumer of the events the catalog routes to it (its idempotency table comes with it)."""
    return FunctionSpec(
        "worker",
        entry_point,
        tables=tables,
        trigger="queue",
        publishes=publishes,
        topics=topics,
        timeout_seconds=timeout_seconds,
    )


@dataclass
class BoundedContextArgs:
    platform: EventPlatform
    catalog: Catalog
    settings: StackSettings
    tables: Sequence[TableSpec]
    functions: Sequence[FunctionSpec]
    # SNS topics the context publishes to from code (e.g. customer notifications).
    topics: Sequence[str] = ()
    extra_environment: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    # The roles that encrypt fields for this context: its producers' sealing functions.
    field_writer_roles: Sequence[pulumi.Input[str]] = ()


class BoundedContext(pulumi.ComponentResource):
    def __init__(self, name: str, args: BoundedContextArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("saga:context:BoundedContext", name, None, opts)
        self._name = name
        self.context_name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self.source = args.catalog.source_of(name)
        if any(spec.name == IDEMPOTENCY_TABLE.name for spec in args.tables):
            raise ValueError(f"{name}: the idempotency table comes with every context; do not declare it")
        self._tables = [*args.tables, IDEMPOTENCY_TABLE]

        self.private_bus = aws.cloudwatch.EventBus(f"{name}-bus", opts=self._child)
        self.tables = {spec.name: self._table(spec) for spec in self._tables}
        self.topics = {
            topic: aws.sns.Topic(f"{name}-{topic}", kms_master_key_id="alias/aws/sns", opts=self._child)
            for topic in args.topics
        }

        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-dlq",
            message_retention_seconds=FOURTEEN_DAYS,
            sqs_managed_sse_enabled=True,
            opts=self._child,
        )
        workers = [spec for spec in args.functions if spec.trigger == "queue"]
        consumes = bool(args.catalog.routed_to(name, args.settings.saga_style))
        if consumes and len(workers) != 1:
            raise ValueError(f"{name} consumes events, so it needs exactly one queue worker")
        if workers and not consumes:
            raise ValueError(f"{name} has a queue worker but the catalog gives it nothing to consume")
        self.queue = self._queue(workers[0]) if consumes else None

        self.functions = {spec.name: self._function(spec) for spec in args.functions}
        self.sealing_roles = [self.functions[spec.name].role.arn for spec in args.functions if spec.seals_fields]
        if readers_of_fields_produced_by(args.catalog, name) and not self.sealing_roles:
            raise ValueError(f"{name} publishes encrypted fields, so one of its functions must seal them")
        self.field_key = self._field_key() if fields_read_by(name) else None
        self.forwarding_rule: aws.cloudwatch.EventRule | None = None
        if consumes:
            self._subscribe(self.functions[workers[0].name])
        self.schedules: dict[str, FunctionSchedule] = {}
        for spec in args.functions:
            if spec.trigger == "stream":
                self._feed_from_stream(spec)
            if spec.trigger == "schedule":
                if not spec.schedule:
                    raise ValueError(f"{name} {spec.name}: a scheduled function needs its schedule expression")
                self.schedules[spec.name] = FunctionSchedule(
                    f"{name}-{spec.name}-schedule", self.functions[spec.name].function, spec.schedule, opts=self._child
                )

        alarms.for_context(
            self,
            name,
            dead_letter_queue=self.dead_letter_queue,
            queue=self.queue,
            forwarding_rule=self.forwarding_rule,
            global_bus_name=args.platform.bus.name,
            functions={function: resource.function for function, resource in self.functions.items()},
            oldest_message_alarm_seconds=args.settings.oldest_message_alarm_seconds,
            topic_arn=args.platform.operations_topic.arn,
        )
        # What operators and the end-to-end tests need to find this context's state.
        self.outputs = {
            "busName": self.private_bus.name,
            "queueUrl": self.queue.url if self.queue else None,
            "deadLetterQueueUrl": self.dead_letter_queue.url,
            # What an operator's replay to this context alone names (StartReplay's FilterArns).
            "forwardingRuleArn": self.forwarding_rule.arn if self.forwarding_rule else None,
            "tables": {table: resource.name for table, resource in self.tables.items()},
            "topics": {topic: resource.arn for topic, resource in self.topics.items()},
            "functions": {function: resource.function.name for function, resource in self.functions.items()},
            # Which Scheduler schedule invokes which function: an operator's `aws scheduler get-schedule`.
            "schedules": {function: schedule.schedule.name for function, schedule in self.schedules.items()},
            # Where each function logs (JSON lines): an operator reads why a message failed there.
            "logGroups": {function: resource.log_group.name for function, resource in self.functions.items()},
        }
        self.register_outputs(self.outputs)

    def _table(self, spec: TableSpec) -> aws.dynamodb.Table:
        keys = [spec.hash_key, spec.range_key] + [k for i in spec.indexes for k in (i.hash_key, i.range_key)]
        attributes = [aws.dynamodb.TableAttributeArgs(name=key, type="S") for key in dict.fromkeys(keys) if key]
        return aws.dynamodb.Table(
            f"{self._name}-{spec.name}",
            billing_mode="PAY_PER_REQUEST",
            hash_key=spec.hash_key,
            range_key=spec.range_key,
            attributes=attributes,
            global_secondary_indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name=index.name,
                    key_schemas=[
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(attribute_name=key, key_type=kind)
                        for key, kind in ((index.hash_key, "HASH"), (index.range_key, "RANGE"))
                        if key
                    ],
                    projection_type="KEYS_ONLY",
                )
                for index in spec.indexes
            ]
            or None,
            stream_enabled=spec.stream or None,
            stream_view_type="NEW_AND_OLD_IMAGES" if spec.stream else None,
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=spec.ttl_attribute, enabled=True)
            if spec.ttl_attribute
            else None,
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            deletion_protection_enabled=pulumi.get_stack() == "prod",
            opts=self._child,
        )

    def _function(self, spec: FunctionSpec) -> ContextFunction:
        environment: dict[str, pulumi.Input[str]] = {
            self._table_spec(table).environment_variable: self.tables[table].name for table in _tables_of(spec)
        }
        environment.update({_topic_variable(topic): self.topics[topic].arn for topic in spec.topics})
        environment.update(self._args.extra_environment)
        environment[EVENT_SOURCE_VARIABLE] = self.source
        if spec.publishes:
            environment["EVENT_BUS_NAME"] = self._args.platform.bus.name
        if spec.seals_fields:
            readers = readers_of_fields_produced_by(self._args.catalog, self._name)
            environment[SEALED_FIELD_KEYS] = json.dumps({reader: field_key_alias(reader) for reader in readers})
        if _reads_fields(spec) and fields_read_by(self._name):
            environment[FIELD_KEY] = field_key_alias(self._name)
        if spec.starts_executions_of is not None:
            environment[SAGA_STATE_MACHINE_VARIABLE] = spec.starts_executions_of
        return ContextFunction(
            f"{self._name}-{spec.name}",
            FunctionArgs(
                context=self._name,
                handler=f"{self._name}.{spec.entry_point}",
                environment=environment,
                permissions=self._permissions(spec),
                timeout_seconds=spec.timeout_seconds,
                # Caps what a burst of API calls may take from the account, so workers keep theirs.
                reserved_concurrency=self._args.settings.api_reserved_concurrency if spec.trigger == "http" else None,
                log_key_arn=self._args.platform.logs_key.arn,
            ),
            self._args.settings,
            self._args.platform.layers,
            opts=self._child,
        )

    def _permissions(self, spec: FunctionSpec) -> pulumi.Output[list[policies.Statement]]:
        """Exactly what this function's trigger and spec need, on this context's resources only."""
        indexes = [self._index_arn(*name.split("/", 1)) for name in spec.indexes]
        arns: dict[str, pulumi.Input[list[str]]] = {
            "tables": pulumi.Output.all(*[self.tables[table].arn for table in _tables_of(spec)]),
            "indexes": pulumi.Output.all(*indexes),
            "topics": pulumi.Output.all(*[self.topics[topic].arn for topic in spec.topics]),
            "bus": self._args.platform.bus.arn,
            "dlq": self.dead_letter_queue.arn,
            "queue": self.queue.arn if spec.trigger == "queue" and self.queue else "",
            "stream": self.tables[spec.stream_table].stream_arn if spec.stream_table else "",
            "state_machine": spec.starts_executions_of or "",
        }
        source = self.source

        def statements(resolved: dict) -> list[policies.Statement]:
            granted = []
            if resolved["tables"]:
                granted.append(policies.use_tables(resolved["tables"]))
            if resolved["indexes"]:
                granted.append(policies.query_indexes(resolved["indexes"]))
            if resolved["topics"]:
                granted.append(policies.publish_to_topics(resolved["topics"]))
            if spec.publishes:
                granted.append(policies.publish_as(resolved["bus"], source))
            if spec.trigger == "queue":
                granted.append(policies.consume_queue(resolved["queue"]))
            if spec.trigger == "stream":
                granted.append(policies.read_stream(resolved["stream"]))
                granted.append(policies.send_to_queue(resolved["dlq"], "SendFailedStreamRecordsToDeadLetterQueue"))
            if resolved["state_machine"]:
                granted.append(policies.start_executions(resolved["state_machine"]))
            return granted

        return pulumi.Output.all(**arns).apply(statements)

    def _field_key(self) -> aws.kms.Key:
        """The key of the fields only this context may read: its producers encrypt, its worker (and its
        saga task, which reads them from the execution's input) decrypt."""
        if not self._args.field_writer_roles:
            raise ValueError(f"{self._name} reads encrypted fields: create their producers first and pass their roles")
        fields = [(f.event_type, f.field) for f in fields_read_by(self._name)]
        readers = [spec for spec in self._args.functions if _reads_fields(spec)]
        key = aws.kms.Key(
            f"{self._name}-field-key",
            description=f"Encrypts event fields only {self._name} may read",
            enable_key_rotation=True,
            policy=pulumi.Output.all(
                aws.get_caller_identity_output().account_id,
                pulumi.Output.all(*[self.functions[spec.name].role.arn for spec in readers]),
                *self._args.field_writer_roles,
            ).apply(lambda values: policies.field_key_policy(values[0], values[2:], values[1], fields)),
            opts=self._child,
        )
        aws.kms.Alias(
            f"{self._name}-field-key-alias",
            name=field_key_alias(self._name),
            target_key_id=key.arn,
            opts=self._child,
        )
        return key

    def _queue(self, worker: FunctionSpec) -> aws.sqs.Queue:
        settings = self._args.settings
        timeout = worker.timeout_seconds or settings.function_timeout_seconds
        return aws.sqs.Queue(
            f"{self._name}-queue",
            visibility_timeout_seconds=VISIBILITY_TIMEOUT_FACTOR * timeout,
            message_retention_seconds=FOURTEEN_DAYS,
            receive_wait_time_seconds=20,
            sqs_managed_sse_enabled=True,
            redrive_policy=self.dead_letter_queue.arn.apply(
                lambda arn: json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": settings.max_receive_count})
            ),
            opts=self._child,
        )

    def _subscribe(self, worker: ContextFunction) -> None:
        """Global bus → (rule from the catalog) → private bus → queue → worker."""
        name, settings, platform = self._name, self._args.settings, self._args.platform
        pattern = consumed_events_pattern(self._args.catalog, name, settings.saga_style)
        assert self.queue is not None
        # EventBridge routes across one bus-to-bus hop only: global → private is that hop,
        # so the private bus must deliver to targets (the queue), never to another bus.
        self.forwarding_rule = aws.cloudwatch.EventRule(
            f"{name}-forward",
            description=f"Events the catalog says {name} consumes",
            event_bus_name=platform.bus.name,
            event_pattern=pattern,
            opts=self._child,
        )
        account_id = aws.get_caller_identity_output().account_id
        # Only EventBridge, and only for this forwarding rule of our account, may use the role.
        forward_role = aws.iam.Role(
            f"{name}-forwarding-role",
            assume_role_policy=pulumi.Output.all(account_id, self.forwarding_rule.arn).apply(
                lambda values: policies.assume_role("events.amazonaws.com", values[0], [values[1]])
            ),
            opts=self._child,
        )
        aws.iam.RolePolicy(
            f"{name}-forwarding-policy",
            role=forward_role.id,
            policy=self.private_bus.arn.apply(lambda arn: policies.document([policies.forward_to_bus(arn)])),
            opts=self._child,
        )
        retry = aws.cloudwatch.EventTargetRetryPolicyArgs(maximum_event_age_in_seconds=3600, maximum_retry_attempts=10)
        undeliverable = aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=self.dead_letter_queue.arn)
        aws.cloudwatch.EventTarget(
            f"{name}-forward-target",
            rule=self.forwarding_rule.name,
            event_bus_name=platform.bus.name,
            arn=self.private_bus.arn,
            role_arn=forward_role.arn,
            # No retry policy: EventBridge does not take one for event-bus targets; the DLQ catches
            # what it cannot deliver.
            dead_letter_config=undeliverable,
            opts=self._child,
        )
        self.delivery_rule = aws.cloudwatch.EventRule(
            f"{name}-deliver",
            description=f"Events for {name}'s worker",
            event_bus_name=self.private_bus.name,
            event_pattern=pattern,
            opts=self._child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-deliver-target",
            rule=self.delivery_rule.name,
            event_bus_name=self.private_bus.name,
            arn=self.queue.arn,
            retry_policy=retry,
            dead_letter_config=undeliverable,
            opts=self._child,
        )
        for queue, rules, label in (
            (self.queue, [self.delivery_rule.arn], "queue"),
            (self.dead_letter_queue, [self.forwarding_rule.arn, self.delivery_rule.arn], "dlq"),
        ):
            aws.sqs.QueuePolicy(
                f"{name}-{label}-policy",
                queue_url=queue.url,
                policy=pulumi.Output.all(account_id, queue.arn, *rules).apply(
                    lambda values: policies.allow_rules_to_send(values[1], values[2:], values[0])
                ),
                opts=self._child,
            )
        aws.lambda_.EventSourceMapping(
            f"{name}-queue-to-worker",
            event_source_arn=self.queue.arn,
            function_name=worker.function.arn,
            batch_size=settings.queue_batch_size,
            # No batching window: a saga step should not wait for a batch to fill.
            maximum_batching_window_in_seconds=0,
            function_response_types=["ReportBatchItemFailures"],
            # A burst in one context must not take every instance the account has.
            scaling_config=aws.lambda_.EventSourceMappingScalingConfigArgs(
                maximum_concurrency=settings.queue_maximum_concurrency
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[worker.role_policy]),
        )

    def _feed_from_stream(self, spec: FunctionSpec) -> None:
        function = self.functions[spec.name]
        filters = None
        if spec.stream_filter:
            filters = aws.lambda_.EventSourceMappingFilterCriteriaArgs(
                filters=[aws.lambda_.EventSourceMappingFilterCriteriaFilterArgs(pattern=json.dumps(spec.stream_filter))]
            )
        aws.lambda_.EventSourceMapping(
            f"{self._name}-{spec.name}-stream",
            event_source_arn=self.tables[spec.stream_table].stream_arn,
            function_name=function.function.arn,
            starting_position="TRIM_HORIZON",
            batch_size=self._args.settings.queue_batch_size,
            maximum_retry_attempts=self._args.settings.max_receive_count,
            bisect_batch_on_function_error=True,
            function_response_types=["ReportBatchItemFailures"],
            filter_criteria=filters,
            destination_config=aws.lambda_.EventSourceMappingDestinationConfigArgs(
                on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(
                    destination_arn=self.dead_letter_queue.arn
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[function.role_policy]),
        )

    def _index_arn(self, table: str, index: str) -> pulumi.Output[str]:
        if index not in {declared.name for declared in self._table_spec(table).indexes}:
            raise ValueError(f"{self._name}: table {table} declares no index {index}")
        return self.tables[table].arn.apply(lambda arn: f"{arn}/index/{index}")

    def _table_spec(self, name: str) -> TableSpec:
        return next(spec for spec in self._tables if spec.name == name)


def _reads_fields(spec: FunctionSpec) -> bool:
    """The functions handed events with fields encrypted for their context: its queue worker, and its
    saga task (the execution's input is order.placed)."""
    return spec.trigger in ("queue", "task")


def _tables_of(spec: FunctionSpec) -> list[str]:
    """The tables a function uses: a queue worker deduplicates through the idempotency table too."""
    if spec.trigger == "queue" and IDEMPOTENCY_TABLE.name not in spec.tables:
        return [*spec.tables, IDEMPOTENCY_TABLE.name]
    return list(spec.tables)


def _topic_variable(topic: str) -> str:
    return f"{topic.upper().replace('-', '_')}_TOPIC_ARN"
