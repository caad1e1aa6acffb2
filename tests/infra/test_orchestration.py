"""sagaStyle orchestration under Pulumi's mocks: the state machine's definition (every task retried on
transient errors, every business failure caught, compensations in reverse), its role (exactly its
task functions), its logging, the routing it replaces, and no state machine on a choreographed stack."""

import json

import pytest

from components.policies import LOG_DELIVERY
from components.saga_definition import CANCELLED_STATE, CONFIRMED_STATE
from contracts import load_catalog
from tests.infra.program import orchestrated_program, run_program

STATE_MACHINE = "aws:sfn/stateMachine:StateMachine"
FUNCTION = "aws:lambda/function:Function"
catalog = load_catalog()
orchestration = catalog.orchestration
# The saga as the issue states it, not as the catalog happens to list it.
SAGA_ORDER = ["ReserveStock", "ChargePayment", "BookShipment", "AwardPoints", "ConfirmOrder"]


@pytest.fixture(scope="module")
def orchestrated():
    return orchestrated_program()


@pytest.fixture(scope="module")
def state_machine(orchestrated):
    [machine] = orchestrated.of_type(STATE_MACHINE)
    return machine


@pytest.fixture(scope="module")
def definition(state_machine):
    return json.loads(state_machine.inputs["definition"])


def _task_functions(program):
    return {f.name.split("-", 1)[0]: f for f in program.of_type(FUNCTION) if f.name.endswith("-task-fn")}


def _statements(program, role):
    role_id = f"{role.outputs['name']}-id"
    return [
        statement
        for policy in program.of_type("aws:iam/rolePolicy:RolePolicy")
        if policy.inputs["role"] == role_id
        for statement in json.loads(policy.inputs["policy"])["Statement"]
    ]


def _action(state):
    return state["Parameters"]["Payload"]["action"]


def _run_from(definition, state_name):
    """The task actions a path runs, from `state_name` to its end, and the state it ends in."""
    actions, states = [], definition["States"]
    while states[state_name]["Type"] == "Task":
        actions.append(_action(states[state_name]))
        state_name = states[state_name]["Next"]
    return actions, state_name


# --- choreography stays as it was --------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_choreographed_stack_deploys_no_state_machine_and_no_task_function(stack, program):
    declared = program if stack == "dev" else run_program(stack)
    assert declared.of_type(STATE_MACHINE) == []
    assert _task_functions(declared) == {}


# --- the definition -------------------------------------------------------------------------------


def test_the_happy_path_is_reserve_charge_book_award_confirm(definition):
    assert definition["StartAt"] == SAGA_ORDER[0]
    path, state = [], definition["StartAt"]
    while definition["States"][state]["Type"] == "Task":
        path.append(state)
        state = definition["States"][state]["Next"]
    assert path == SAGA_ORDER
    assert definition["States"][state]["Type"] == "Succeed"


def test_each_step_is_a_task_of_its_own_context(orchestrated, definition):
    functions = _task_functions(orchestrated)
    for step in orchestration.steps:
        state = definition["States"][step.name]
        assert state["Resource"] == "arn:aws:states:::lambda:invoke"
        assert state["Parameters"]["FunctionName"] == functions[step.context].outputs["arn"], step.name
        assert _action(state) == step.action
        assert functions[step.context].inputs["handler"] == f"{step.context}.task.handle"


def test_every_task_state_retries_transient_errors_with_backoff_and_full_jitter(definition):
    tasks = {name: state for name, state in definition["States"].items() if state["Type"] == "Task"}
    assert len(tasks) == len(orchestration.steps) + 4 + 1  # steps, four compensations, the cancellation
    for name, state in tasks.items():
        [retry] = state["Retry"]
        assert {"Lambda.ServiceException", "Lambda.TooManyRequestsException", "States.Timeout"} <= set(
            retry["ErrorEquals"]
        ), name
        # A sandbox that died mid-task, perhaps after its side effect: asked again, never compensated at once.
        assert {"Lambda.Unknown", "Runtime.ExitError", "Sandbox.Timedout"} <= set(retry["ErrorEquals"]), name
        assert "States.ALL" not in retry["ErrorEquals"], name  # a business failure is never retried
        assert retry["IntervalSeconds"] >= 1 and retry["BackoffRate"] > 1 and retry["MaxAttempts"] >= 2, name
        assert retry["JitterStrategy"] == "FULL", name
        assert state["TimeoutSeconds"] > 0, name
    # tok_flaky: the gateway's transient error is retried where a charge is made and given back.
    for name in ("ChargePayment", "UndoChargePayment"):
        assert "GatewayUnavailable" in tasks[name]["Retry"][0]["ErrorEquals"]


def test_no_business_failure_is_also_retried(definition):
    failures = {failure for step in orchestration.steps for failure in step.caught}
    for name, state in definition["States"].items():
        if state["Type"] == "Task":
            assert not failures & set(state["Retry"][0]["ErrorEquals"]), name


def test_every_step_catches_each_of_its_business_failures(definition):
    for step in orchestration.steps:
        catches = definition["States"][step.name]["Catch"]
        caught = {error for catch in catches for error in catch["ErrorEquals"]}
        assert set(step.caught) | {"States.ALL"} == caught, step.name
        assert catches[-1]["ErrorEquals"] == ["States.ALL"], "States.ALL must come last"
        assert all(catch["ResultPath"] == "$.failure" for catch in catches), step.name
    # The failures the issue names, each where it happens.
    assert "OutOfStock" in orchestration.steps[0].failures
    assert "PaymentDeclined" in orchestration.steps[1].failures
    assert "CountryNotServed" in orchestration.steps[2].failures


@pytest.mark.parametrize("failed", range(len(SAGA_ORDER)), ids=SAGA_ORDER)
def test_a_business_failure_compensates_the_steps_done_in_reverse_then_cancels(definition, failed):
    step = orchestration.steps[failed]
    [business] = [c for c in definition["States"][step.name]["Catch"] if "OrderCancelled" in c["ErrorEquals"]]

    actions, end = _run_from(definition, business["Next"])

    done = orchestration.steps[:failed]
    expected = [s.compensation for s in reversed(done) if s.compensation]
    assert actions == [*expected, orchestration.cancellation.action]
    assert end == CANCELLED_STATE and definition["States"][end]["Type"] == "Fail"


@pytest.mark.parametrize("failed", range(len(SAGA_ORDER)), ids=SAGA_ORDER)
def test_a_step_that_failed_otherwise_is_compensated_too(definition, failed):
    """Retries spent with the outcome unknown (a charge whose answer was lost): undo that step as well."""
    step = orchestration.steps[failed]
    [other] = [c for c in definition["States"][step.name]["Catch"] if c["ErrorEquals"] == ["States.ALL"]]

    actions, end = _run_from(definition, other["Next"])

    expected = [s.compensation for s in reversed(orchestration.steps[: failed + 1]) if s.compensation]
    assert actions == [*expected, orchestration.cancellation.action]
    assert end == CANCELLED_STATE


def test_an_input_that_breaks_the_task_contract_is_caught_as_a_business_failure_at_every_step(definition):
    for step in orchestration.steps:
        [business] = [c for c in definition["States"][step.name]["Catch"] if "OrderCancelled" in c["ErrorEquals"]]
        assert "SagaInputInvalid" in business["ErrorEquals"], step.name


def test_a_cancelled_execution_fails_with_the_error_and_cause_that_made_it_cancel(definition):
    """The execution list says PaymentDeclined or SagaInputInvalid, not a generic error."""
    fail = definition["States"][CANCELLED_STATE]
    assert fail == {"Type": "Fail", "ErrorPath": "$.failure.Error", "CausePath": "$.failure.Cause"}
    for step in orchestration.steps:
        assert {c["ResultPath"] for c in definition["States"][step.name]["Catch"]} == {"$.failure"}


def test_the_confirmation_succeeds(definition):
    assert definition["States"]["ConfirmOrder"]["Next"] == CONFIRMED_STATE


# --- the state machine, its role, its logs ------------------------------------------------------------


def test_a_standard_state_machine_logging_errors_without_execution_data(orchestrated, state_machine):
    assert state_machine.inputs["type"] == "STANDARD"
    logging = state_machine.inputs["loggingConfiguration"]
    assert logging["level"] in ("ERROR", "ALL")
    # Execution data is the order: even encrypted, its payment token stays out of the logs.
    assert logging["includeExecutionData"] is False
    [group] = [g for g in orchestrated.of_type("aws:cloudwatch/logGroup:LogGroup") if g.name.endswith("-executions")]
    assert logging["logDestination"] == f"{group.outputs['arn']}:*"
    assert group.inputs["retentionInDays"] > 0


def test_the_orchestrator_role_invokes_exactly_its_task_functions_and_nothing_wild(orchestrated, state_machine):
    [role] = [
        r for r in orchestrated.of_type("aws:iam/role:Role") if r.outputs["arn"] == state_machine.inputs["roleArn"]
    ]
    statements = _statements(orchestrated, role)
    invoked = [r for s in statements if "lambda:InvokeFunction" in s["Action"] for r in s["Resource"]]
    tasks = {f.outputs["arn"] for f in _task_functions(orchestrated).values()}
    assert sorted(invoked) == sorted(tasks)
    assert len(tasks) == len(orchestration.contexts)
    every_function = {f.outputs["arn"] for f in orchestrated.of_type(FUNCTION)}
    assert not (set(invoked) & (every_function - tasks))
    for statement in statements:
        assert all("*" not in action for action in statement["Action"]), statement
        if statement["Sid"] == "DeliverExecutionLogs":
            # CloudWatch Logs' delivery actions take no resource: the documented grant, and the only one.
            assert statement["Action"] == LOG_DELIVERY and statement["Resource"] == "*"
        else:
            assert all("*" not in resource for resource in statement["Resource"]), statement


def test_only_step_functions_acting_for_this_state_machine_may_assume_its_role(orchestrated, state_machine):
    [role] = [
        r for r in orchestrated.of_type("aws:iam/role:Role") if r.outputs["arn"] == state_machine.inputs["roleArn"]
    ]
    [trust] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    assert trust["Condition"]["ArnEquals"]["aws:SourceArn"] == state_machine.outputs["arn"]


# --- who starts it, and what it no longer routes ------------------------------------------------------


def test_the_outbox_relay_alone_starts_executions_of_this_state_machine(orchestrated, state_machine):
    starters = []
    for function in orchestrated.of_type(FUNCTION):
        [role] = [r for r in orchestrated.of_type("aws:iam/role:Role") if r.outputs["arn"] == function.inputs["role"]]
        for statement in _statements(orchestrated, role):
            if "states:StartExecution" in statement["Action"]:
                assert statement["Resource"] == [state_machine.outputs["arn"]]
                starters.append(function.name)
    assert starters == ["order-outbox-relay-fn"]
    [relay] = [f for f in orchestrated.of_type(FUNCTION) if f.name == "order-outbox-relay-fn"]
    assert relay.inputs["environment"]["variables"]["SAGA_STATE_MACHINE_ARN"] == state_machine.outputs["arn"]


def _routed(program, context):
    [rule] = [r for r in program.of_type("aws:cloudwatch/eventRule:EventRule") if r.name == f"{context}-forward"]
    pattern = json.loads(rule.inputs["eventPattern"])
    return {
        schema.rsplit("/", 2)[-2] + "/" + schema.rsplit("/v", 1)[1].split(".")[0]
        for schema in pattern["detail"]["dataschema"]
    }


def test_what_a_step_does_instead_is_no_longer_routed_but_compensations_still_are(program, orchestrated):
    for step in orchestration.steps:
        replaced = {f"{event_type}/{version}" for event_type, version in step.replaces}
        assert replaced <= _routed(program, step.context), step.name  # choreography routes them
        assert not replaced & _routed(orchestrated, step.context), step.name
    # A customer's cancel still reaches every participant, as in choreography.
    for context in ("inventory", "payment", "shipping"):
        assert "order.cancelled/1" in _routed(orchestrated, context)
    assert "payment.refunded/1" in _routed(orchestrated, "loyalty")
    assert _routed(orchestrated, "order") == _routed(program, "order")


def test_task_functions_that_read_encrypted_fields_may_decrypt_them(orchestrated):
    functions = _task_functions(orchestrated)
    for context in ("payment", "shipping"):
        [key] = [k for k in orchestrated.of_type("aws:kms/key:Key") if k.name == f"{context}-field-key"]
        policy = json.dumps(json.loads(key.inputs["policy"]))
        [role] = [
            r
            for r in orchestrated.of_type("aws:iam/role:Role")
            if r.outputs["arn"] == functions[context].inputs["role"]
        ]
        assert role.outputs["arn"] in policy, context
        [worker] = [f for f in orchestrated.of_type(FUNCTION) if f.name == f"{context}-worker-fn"]
        variables = functions[context].inputs["environment"]["variables"]
        assert variables["FIELD_KEY"] == worker.inputs["environment"]["variables"]["FIELD_KEY"], context
