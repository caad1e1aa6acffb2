"""A new context in one step: the README's checklist, done to a copy of this project, is all it takes.

The fixture (tests/infra/fixtures/giftwrap) holds exactly what a team writes for a context that
consumes order.confirmed and publishes giftwrap.wrapped: its schema, its catalog lines, its
package under lambdas/ and one declaration for __main__.py. The test applies them to a copy of
the project, runs that program under Pulumi's mocks and checks the component wired the rest from
the catalog: forwarding rule, private bus, queue and dead-letter queue, idempotency table, a role
inside the context, the Lambda handler string and the event source; then it runs the new handler
as deployed and sees its dispatch table and its first event.
"""

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness.cloud import mocked_cloud
from tests.harness.declared_stack import DeclaredStack, read_declared_stack
from tests.harness.lambda_events import LambdaContextStub, record_for, sqs_event
from tests.infra.program import PROJECT_DIR, RecordingMocks, importing_from, run_program, stack_config

FIXTURE = Path(__file__).parent / "fixtures" / "giftwrap"
CONTEXT = "giftwrap"
SOURCE = "saga.giftwrap"
CONSUMES = {("order.confirmed", 1)}
# What the program needs to run; the rest of the repository (tests, docs, tools) is not the program.
PROGRAM = ["__main__.py", "Pulumi.yaml", "Pulumi.dev.yaml", "components", "contracts", "lambdas"]


def add_the_context(project: Path) -> None:
    """The README's "A new context" steps 1 to 4, and nothing more."""
    # 1. its schemas
    shutil.copytree(FIXTURE / "contracts", project / "contracts", dirs_exist_ok=True)
    # 2. its catalog lines
    catalog_file = project / "contracts" / "catalog.yaml"
    catalog = yaml.safe_load(catalog_file.read_text())
    lines = yaml.safe_load((FIXTURE / "catalog.yaml").read_text())
    catalog["contexts"].update(lines["contexts"])
    catalog["events"].extend(lines["events"])
    for joined in lines["joins"]:
        [entry] = [e for e in catalog["events"] if (e["type"], e["version"]) == (joined["type"], joined["version"])]
        entry["consumers"].append(CONTEXT)
    catalog_file.write_text(yaml.safe_dump(catalog, sort_keys=False))
    # 3. its package
    shutil.copytree(FIXTURE / "lambdas", project / "lambdas", dirs_exist_ok=True)
    # 4. one declaration in __main__.py
    with (project / "__main__.py").open("a") as main:
        main.write("\n" + (FIXTURE / "declaration.py").read_text())


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("project")
    for name in PROGRAM:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, copy / name)
    add_the_context(copy)
    return copy


@pytest.fixture(scope="module")
def program(project: Path) -> RecordingMocks:
    return run_program("dev", project)


def one(program: RecordingMocks, type_: str, name: str) -> Any:
    [resource] = [r for r in program.of_type(type_) if r.name == name]
    return resource


def test_the_global_bus_forwards_exactly_what_the_catalog_gives_the_context(program):
    global_bus = one(program, "aws:cloudwatch/eventBus:EventBus", "saga-global-bus")
    private_bus = one(program, "aws:cloudwatch/eventBus:EventBus", f"{CONTEXT}-bus")
    rule = one(program, "aws:cloudwatch/eventRule:EventRule", f"{CONTEXT}-forward")
    target = one(program, "aws:cloudwatch/eventTarget:EventTarget", f"{CONTEXT}-forward-target")

    assert rule.inputs["eventBusName"] == global_bus.outputs["name"]
    assert json.loads(rule.inputs["eventPattern"]) == {
        "detail-type": ["order.confirmed"],
        "detail": {"dataschema": ["https://schemas.order-saga.example/events/order.confirmed/v1.json"]},
    }
    assert (target.inputs["rule"], target.inputs["arn"]) == (rule.outputs["name"], private_bus.outputs["arn"])


def test_the_private_bus_delivers_to_a_queue_that_redrives_to_the_contexts_dlq(program):
    queue = one(program, "aws:sqs/queue:Queue", f"{CONTEXT}-queue")
    dead_letters = one(program, "aws:sqs/queue:Queue", f"{CONTEXT}-dlq")
    delivery = one(program, "aws:cloudwatch/eventTarget:EventTarget", f"{CONTEXT}-deliver-target")
    mapping = one(program, "aws:lambda/eventSourceMapping:EventSourceMapping", f"{CONTEXT}-queue-to-worker")
    worker = one(program, "aws:lambda/function:Function", f"{CONTEXT}-worker-fn")

    assert delivery.inputs["arn"] == queue.outputs["arn"]
    assert json.loads(queue.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": dead_letters.outputs["arn"],
        "maxReceiveCount": int(stack_config("dev")["order-saga:maxReceiveCount"]),
    }
    assert (mapping.inputs["eventSourceArn"], mapping.inputs["functionName"]) == (
        queue.outputs["arn"],
        worker.outputs["arn"],
    )
    assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert one(program, "aws:cloudwatch/metricAlarm:MetricAlarm", f"{CONTEXT}-dlq-not-empty")


def test_the_context_gets_its_idempotency_table_without_declaring_it(program):
    table = one(program, "aws:dynamodb/table:Table", f"{CONTEXT}-idempotency")
    assert (table.inputs["hashKey"], table.inputs["ttl"]["attributeName"]) == ("id", "expiration")


def test_the_worker_is_found_and_told_its_source_by_the_component(program):
    worker = one(program, "aws:lambda/function:Function", f"{CONTEXT}-worker-fn")
    environment = worker.inputs["environment"]["variables"]

    assert worker.inputs["handler"] == f"{CONTEXT}.handler.handle"
    assert environment["EVENT_SOURCE"] == SOURCE
    assert {"WRAPS_TABLE", "IDEMPOTENCY_TABLE", "EVENT_BUS_NAME"} <= set(environment)


def test_the_workers_role_touches_only_the_contexts_resources_and_publishes_as_it(program):
    role = one(program, "aws:iam/role:Role", f"{CONTEXT}-worker-role")
    policy = one(program, "aws:iam/rolePolicy:RolePolicy", f"{CONTEXT}-worker-policy")
    assert policy.inputs["role"] == f"{role.outputs['name']}-id"
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    arn = {r.name: r.outputs["arn"] for r in program.resources if "arn" in r.outputs}

    assert set(statements) == {"WriteOwnLogs", "UseOwnTables", "PublishOwnEvents", "ConsumeOwnQueue"}
    assert sorted(statements["UseOwnTables"]["Resource"]) == sorted(
        [arn[f"{CONTEXT}-wraps"], arn[f"{CONTEXT}-idempotency"]]
    )
    assert statements["ConsumeOwnQueue"]["Resource"] == [arn[f"{CONTEXT}-queue"]]
    assert statements["PublishOwnEvents"]["Resource"] == [arn["saga-global-bus"]]
    assert statements["PublishOwnEvents"]["Condition"] == {"StringEquals": {"events:source": SOURCE}}


def test_the_handler_as_deployed_dispatches_what_the_catalog_routes_and_publishes_its_event(
    program, project, monkeypatch
):
    stack: DeclaredStack = read_declared_stack(program)
    worker = stack.worker(CONTEXT)
    order_id = str(uuid.uuid4())
    # The copy's contracts (with giftwrap's schema), event library and package, as its bundle has them.
    with (
        importing_from([project / "lambdas", project], packages={"contracts", "saga_events", CONTEXT}),
        mocked_cloud(monkeypatch) as cloud,
    ):
        module = cloud.deploy(worker, stack, monkeypatch)
        from saga_events import new_event

        confirmed = new_event(
            "order.confirmed",
            {"orderId": order_id, "customerId": "cust-1", "confirmedAt": "2026-01-01T00:00:00Z"},
            source="saga.order",
            correlation_id=order_id,
            causation_id=str(uuid.uuid4()),
        )
        response = module.handle(sqs_event(record_for(confirmed)), LambdaContextStub(function_name=worker.name))
        published = cloud.published()

    assert set(module.consume.handlers) == CONSUMES
    assert response == {"batchItemFailures": []}
    [wrapped] = published
    assert (wrapped["type"], wrapped["source"], wrapped["data"]["orderId"]) == ("giftwrap.wrapped", SOURCE, order_id)
    assert wrapped["causationid"] == confirmed["id"]


@pytest.mark.parametrize("name", ["gift-wrap", "GiftWrap", "2wrap", "class", "saga_events"])
def test_the_catalog_refuses_a_context_that_cannot_be_a_package(tmp_path, name):
    from contracts.catalog import load_catalog

    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(yaml.safe_dump({"contexts": {name: {"source": "saga.wrap"}}, "events": []}))
    with pytest.raises(ValueError, match=repr(name)):
        load_catalog(catalog)
