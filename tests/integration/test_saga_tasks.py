"""The orchestrated saga's real task handlers, run in-process against moto in the order the real
state machine definition (from the program under mocks) says, by a small stand-in for Step
Functions: Task → the context's `task.handle`; a raised error is retried when a Retry names it,
else caught by the first Catch that does (`$.failure` = {Error, Cause}, as Lambda reports it).

It proves the task contract (lambdas/saga_events/tasks.py) and what the definition makes of it:
the states of every context at the end, the order's reason, the outcome events. Running the
definition in the embedded cloud's own interpreter is another test's job.
"""

import json
import uuid
from typing import Any

import pytest
from saga_events.events import derived_event_id

from components.saga_definition import CANCELLED_STATE, CONFIRMED_STATE
from tests.harness.cloud import Cloud, mocked_cloud
from tests.harness.declared_stack import declared_orchestrated_stack
from tests.harness.lambda_events import LambdaContextStub, http_api_event, record_for, sqs_event
from tests.infra.program import orchestrated_program

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics:UserWarning")
CUSTOMER = "customer-ada"
PARTICIPANTS = ("inventory", "payment", "shipping", "loyalty", "order")


class SandboxDied(BaseException):
    """The function's process ended mid-invocation (killed, out of memory): no Python error reached
    Lambda, which reports the invocation's error as the runtime's, Runtime.ExitError."""


class StandInStepFunctions:
    """Just enough of Step Functions' Task/Retry/Catch/Succeed/Fail for this one definition."""

    def __init__(self, definition: dict[str, Any], tasks: dict[str, Any]) -> None:
        self.definition = definition
        self.tasks = tasks  # function ARN → imported task module
        self.history: list[str] = []
        # What happens in the world just before a state runs (a customer's cancel, say).
        self.before: dict[str, Any] = {}

    def run(self, saga: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = self.definition["StartAt"]
        while True:
            state = self.definition["States"][name]
            if state["Type"] in ("Succeed", "Fail"):
                return name, saga
            self.history.append(name)
            if name in self.before:
                self.before.pop(name)()
            name, saga = self._task(state, saga)

    def _task(self, state: dict[str, Any], saga: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        module = self.tasks[state["Parameters"]["FunctionName"]]
        payload = {"action": state["Parameters"]["Payload"]["action"], "saga": saga}
        [retry] = state["Retry"]
        for attempt in range(1, retry["MaxAttempts"] + 2):
            try:
                outcome = module.handle(json.loads(json.dumps(payload)), LambdaContextStub())
            # Whatever the function raised is what Lambda reports; the state machine judges it.
            except (Exception, SandboxDied) as error:
                name = "Runtime.ExitError" if isinstance(error, SandboxDied) else type(error).__name__
                if name in retry["ErrorEquals"] and attempt <= retry["MaxAttempts"]:
                    self.history.append(f"retry {name}")
                    continue
                for catch in state.get("Catch", []):
                    if name in catch["ErrorEquals"] or catch["ErrorEquals"] == ["States.ALL"]:
                        cause = json.dumps({"errorMessage": str(error), "errorType": name})
                        return catch["Next"], {**saga, "failure": {"Error": name, "Cause": cause}}
                raise
            return state["Next"], {**saga, state["ResultPath"].removeprefix("$."): {"outcome": outcome}}
        raise AssertionError("unreachable")


@pytest.fixture
def saga(monkeypatch):
    stack = declared_orchestrated_stack()
    [machine] = orchestrated_program().of_type("aws:sfn/stateMachine:StateMachine")
    definition = json.loads(machine.inputs["definition"])
    arns = {f.name: f.outputs["arn"] for f in orchestrated_program().of_type("aws:lambda/function:Function")}
    with mocked_cloud(monkeypatch) as cloud:
        api = cloud.deploy(stack.function("order.api.handle"), stack, monkeypatch)
        tasks = {
            arns[function.name]: cloud.deploy(function, stack, monkeypatch)
            for function in stack.functions
            if function.handler.endswith(".task.handle")
        }
        # The compensating subscriptions are still routed under orchestration: these workers get them.
        workers = {context: cloud.deploy(stack.worker(context), stack, monkeypatch) for context in PARTICIPANTS}
        stock = next(t.name for t in stack.tables.values() if t.name.startswith("inventory-stock"))
        cloud.dynamodb.put_item(TableName=stock, Item={"sku": {"S": "MUG"}, "available": {"N": "5"}})
        yield Saga(cloud, api, StandInStepFunctions(definition, tasks), stack, workers)


class Saga:
    def __init__(self, cloud: Cloud, api: Any, machine: StandInStepFunctions, stack: Any, workers: dict) -> None:
        self.cloud, self.api, self.machine, self.stack, self.workers = cloud, api, machine, stack, workers
        self.announced: list[dict[str, Any]] = []

    def published(self) -> list[dict[str, Any]]:
        """Events put on a bus since the last call; `announced` keeps all of them."""
        events = self.cloud.published()
        self.announced += events
        return events

    def announcements(self, event_type: str) -> set[str]:
        """The ids of every `event_type` announced so far: one fact, one id."""
        self.published()
        return {e["id"] for e in self.announced if e["type"] == event_type}

    def customer_cancels(self, order_id: str) -> int:
        """POST /orders/{id}/cancel, then order.cancelled delivered to each participant routed it
        (and payment.refunded to loyalty), as the bus would; the API's status code."""
        response = self.api.handle(
            http_api_event("POST", f"/orders/{order_id}/cancel", customer=CUSTOMER), LambdaContextStub()
        )
        cancelled = [e for e in self.outbox(order_id) if e["type"] == "order.cancelled"]
        for event in cancelled:
            for context in ("inventory", "payment", "shipping"):
                self.deliver(context, event)
        for refunded in [e for e in self.published() if e["type"] == "payment.refunded"]:
            self.deliver("loyalty", refunded)
        return response["statusCode"]

    def deliver(self, context: str, event: dict[str, Any]) -> None:
        response = self.workers[context].handle(sqs_event(record_for(event)), LambdaContextStub())
        assert response == {"batchItemFailures": []}, (context, event["type"])

    def table(self, prefix: str) -> str:
        return next(t.name for t in self.stack.tables.values() if t.name.startswith(prefix))

    def place(self, *, token: str = "tok_visa", country: str = "DE", quantity: int = 2) -> dict[str, Any]:
        """POST /orders, then the execution input the outbox relay starts the saga with."""
        body = {
            "currency": "EUR",
            "lines": [{"sku": "MUG", "quantity": quantity, "unitPrice": 1250}],
            "paymentMethodToken": token,
            "shippingAddress": {"recipient": "Ada", "line1": "1 Main St", "city": "Berlin", "postalCode": "1"}
            | {"country": country},
        }
        response = self.api.handle(
            http_api_event("POST", "/orders", body, customer=CUSTOMER, request_id=str(uuid.uuid4())),
            LambdaContextStub(function_name="order-api"),
        )
        order_id = json.loads(response["body"])["orderId"]
        [placed] = [e for e in self.outbox(order_id) if e["dataschema"].endswith("order.placed/v3.json")]
        return {"orderId": order_id, "placed": placed}

    def outbox(self, order_id: str) -> list[dict[str, Any]]:
        items = self.cloud.items(self.table("order-orders"))
        return [
            json.loads(i["event"]["S"])
            for i in items
            if i.get("kind", {}).get("S") == "outbox" and i["pk"]["S"] == f"ORDER#{order_id}"
        ]

    def item(self, prefix: str, order_id: str) -> dict[str, Any]:
        found = self.cloud.dynamodb.get_item(TableName=self.table(prefix), Key={"orderId": {"S": order_id}})
        return {k: next(iter(v.values())) for k, v in found.get("Item", {}).items()}

    def order(self, order_id: str) -> dict[str, Any]:
        key = {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ORDER"}}
        item = self.cloud.dynamodb.get_item(TableName=self.table("order-orders"), Key=key)["Item"]
        return {k: next(iter(v.values())) for k, v in item.items()}

    def on_hand(self) -> int:
        key = {"sku": {"S": "MUG"}}
        return int(
            self.cloud.dynamodb.get_item(TableName=self.table("inventory-stock"), Key=key)["Item"]["available"]["N"]
        )

    def charges(self) -> list[str]:
        items = self.cloud.items(self.table("payment-gateway"))
        return [i["state"]["S"] for i in items if i["chargeKey"]["S"].startswith("charge#")]


def test_the_happy_path_confirms_and_every_context_announced_its_outcome(saga):
    execution = saga.place()
    saga.cloud.published()

    end, state = saga.machine.run(execution)

    assert end == CONFIRMED_STATE
    order_id = execution["orderId"]
    assert saga.order(order_id)["status"] == "CONFIRMED"
    assert saga.on_hand() == 3
    assert saga.item("payment-payments", order_id)["status"] == "CAPTURED"
    assert saga.item("shipping-shipments", order_id)["status"] == "SCHEDULED"
    assert state["AwardPoints"]["outcome"] == {"points": 25}
    published = sorted(e["type"] for e in saga.cloud.published())
    assert published == ["inventory.reserved", "loyalty.points-awarded", "payment.captured", "shipping.scheduled"]
    assert [e["type"] for e in saga.outbox(order_id)].count("order.confirmed") == 1


def test_a_declined_payment_releases_the_stock_and_cancels_with_payment_declined(saga):
    execution = saga.place(token="tok_declined")

    end, _ = saga.machine.run(execution)

    assert end == CANCELLED_STATE
    assert saga.machine.history == ["ReserveStock", "ChargePayment", "UndoReserveStock", "CancelOrder"]
    order = saga.order(execution["orderId"])
    assert (order["status"], order["cancellationReason"]) == ("CANCELLED", "PAYMENT_DECLINED")
    assert saga.on_hand() == 5
    assert saga.charges() == []


def test_a_country_not_served_refunds_and_releases_in_reverse(saga):
    execution = saga.place(country="JP")
    saga.cloud.published()

    end, _ = saga.machine.run(execution)

    assert end == CANCELLED_STATE
    assert saga.machine.history[-3:] == ["UndoChargePayment", "UndoReserveStock", "CancelOrder"]
    order = saga.order(execution["orderId"])
    assert (order["status"], order["cancellationReason"]) == ("CANCELLED", "SHIPPING_UNAVAILABLE")
    assert saga.on_hand() == 5
    assert saga.charges() == ["REFUNDED"]
    published = [e["type"] for e in saga.cloud.published()]
    assert published == [
        "inventory.reserved",
        "payment.captured",
        "shipping.failed",
        "payment.refunded",
        "inventory.released",
    ]


def test_out_of_stock_compensates_nothing_and_cancels_with_out_of_stock(saga):
    execution = saga.place(quantity=50)

    end, _ = saga.machine.run(execution)

    assert end == CANCELLED_STATE
    assert saga.machine.history == ["ReserveStock", "CancelOrder"]
    assert saga.order(execution["orderId"])["cancellationReason"] == "OUT_OF_STOCK"


def test_a_flaky_gateway_is_retried_by_the_state_machine_and_charges_once(saga):
    execution = saga.place(token="tok_flaky")

    end, _ = saga.machine.run(execution)

    assert end == CONFIRMED_STATE
    assert "retry GatewayUnavailable" in saga.machine.history
    assert saga.charges() == ["CAPTURED"]


def test_the_compensations_announce_what_the_workers_would_on_order_cancelled(saga):
    """The cancellation's id is known before it is published, so the state machine's compensations
    and a participant's worker handed that order.cancelled derive the same outcome ids."""
    execution = saga.place(country="JP")
    saga.cloud.published()
    saga.machine.run(execution)
    compensations = {e["type"]: e["id"] for e in saga.cloud.published() if e["type"].endswith(("refunded", "released"))}
    [cancelled] = [e for e in saga.outbox(execution["orderId"]) if e["type"] == "order.cancelled"]

    assert compensations == {
        "payment.refunded": derived_event_id(cancelled["id"], "payment.refunded", 1),
        "inventory.released": derived_event_id(cancelled["id"], "inventory.released", 1),
    }


def test_a_customer_cancel_before_the_first_step_ends_the_execution_having_done_nothing(saga):
    execution = saga.place()
    assert saga.customer_cancels(execution["orderId"]) == 202

    end, _ = saga.machine.run(execution)

    assert end == CANCELLED_STATE
    assert saga.machine.history == ["ReserveStock", "CancelOrder"]
    order = saga.order(execution["orderId"])
    assert (order["status"], order["cancellationReason"]) == ("CANCELLED", "CUSTOMER_REQUEST")
    assert saga.on_hand() == 5
    assert saga.charges() == []


def test_a_customer_cancel_while_the_shipment_is_booked_gives_back_all_that_was_done(saga):
    """The customer cancels once the charge is made: the participants compensate on order.cancelled,
    the next step finds the order cancelled, and the execution's own compensations change nothing
    more: the same end states as the choreographed cancel."""
    execution = saga.place()
    order_id = execution["orderId"]
    saga.machine.before["BookShipment"] = lambda: saga.customer_cancels(order_id)

    end, _ = saga.machine.run(execution)

    assert end == CANCELLED_STATE
    assert saga.machine.history == [
        "ReserveStock",
        "ChargePayment",
        "BookShipment",
        "UndoChargePayment",
        "UndoReserveStock",
        "CancelOrder",
    ]
    order = saga.order(order_id)
    assert (order["status"], order["cancellationReason"]) == ("CANCELLED", "CUSTOMER_REQUEST")
    assert saga.on_hand() == 5
    assert saga.charges() == ["REFUNDED"]
    assert saga.item("payment-payments", order_id)["status"] == "REFUNDED"
    assert saga.item("shipping-shipments", order_id)["status"] == "CANCELLED"
    assert [e["type"] for e in saga.outbox(order_id)].count("order.cancelled") == 1
    # The participants compensated on order.cancelled, the state machine's compensations after them
    # changed nothing more: each compensation is announced once, under the same id both ways.
    for compensation in ("inventory.released", "payment.refunded", "shipping.cancelled", "loyalty.points-revoked"):
        assert len(saga.announcements(compensation)) <= 1, compensation
    assert len(saga.announcements("payment.refunded")) == 1


def test_a_customer_cancel_just_before_the_confirmation_is_not_confirmed_over(saga):
    execution = saga.place()
    order_id = execution["orderId"]
    saga.machine.before["ConfirmOrder"] = lambda: saga.customer_cancels(order_id)

    end, _ = saga.machine.run(execution)

    assert end == CANCELLED_STATE
    assert saga.machine.history[-5:] == [
        "UndoAwardPoints",
        "UndoBookShipment",
        "UndoChargePayment",
        "UndoReserveStock",
        "CancelOrder",
    ]
    assert saga.order(order_id)["cancellationReason"] == "CUSTOMER_REQUEST"
    assert (saga.on_hand(), saga.charges()) == (5, ["REFUNDED"])
    ledger = saga.cloud.items(saga.table("loyalty-ledger"))
    assert sum(int(item["points"]["N"]) for item in ledger) == 0
    for compensation in ("inventory.released", "payment.refunded", "shipping.cancelled", "loyalty.points-revoked"):
        assert len(saga.announcements(compensation)) == 1, compensation
    assert [e["type"] for e in saga.outbox(order_id)].count("order.confirmed") == 0


def test_the_order_worker_records_a_booked_shipment_but_leaves_the_confirmation_to_the_last_step(saga):
    """Orchestrated, points come before the confirmation: the worker, handed shipping.scheduled from
    the bus, must not confirm the order ahead of the state machine."""
    execution = saga.place()
    order_id = execution["orderId"]
    seen: dict[str, str] = {}

    def the_bus_delivers_to_the_order_worker() -> None:
        for event in saga.cloud.published():
            saga.deliver("order", event)
        seen["status"] = saga.order(order_id)["status"]

    saga.machine.before["AwardPoints"] = the_bus_delivers_to_the_order_worker

    end, _ = saga.machine.run(execution)

    assert seen["status"] != "CONFIRMED"
    assert end == CONFIRMED_STATE and saga.order(order_id)["status"] == "CONFIRMED"
    timeline = saga.api.handle(http_api_event("GET", f"/orders/{order_id}", customer=CUSTOMER), LambdaContextStub())
    assert "shipping.scheduled" in timeline["body"]


def _without_lines(placed: dict[str, Any]) -> None:
    del placed["data"]["lines"]


def _a_quantity_of_minus_two(placed: dict[str, Any]) -> None:
    # Acted upon, it would put two mugs back on the shelf that nobody returned.
    placed["data"]["lines"][0]["quantity"] = -2


def _another_orders_event(placed: dict[str, Any]) -> None:
    placed["data"]["orderId"] = str(uuid.uuid4())


def _not_order_placed(placed: dict[str, Any]) -> None:
    placed["type"] = "order.confirmed"


INVALID_INPUTS = {
    "no lines": (_without_lines, "lines"),
    "a negative quantity": (_a_quantity_of_minus_two, "lines/0/quantity"),
    "another order's event": (_another_orders_event, "is about order"),
    "another event type": (_not_order_placed, "order.confirmed"),
}


@pytest.mark.parametrize("problem", INVALID_INPUTS.values(), ids=INVALID_INPUTS.keys())
def test_an_input_that_breaks_its_schema_acts_on_nothing_and_cancels_the_order_saying_why(saga, problem):
    """An execution started by hand (or a stale redrive) with an input that is not the order's
    order.placed v3: no step acts on it, the order is cancelled with its reason, and the execution
    fails naming the field (the definition's Fail state reports the failure's error and cause)."""
    break_it, named = problem
    execution = saga.place()
    saga.cloud.published()
    break_it(execution["placed"])

    end, state = saga.machine.run(execution)

    assert end == CANCELLED_STATE
    assert saga.machine.history == ["ReserveStock", "CancelOrder"]
    assert state["failure"]["Error"] == "SagaInputInvalid"
    assert named in json.loads(state["failure"]["Cause"])["errorMessage"]
    order = saga.order(execution["orderId"])
    assert (order["status"], order["cancellationReason"]) == ("CANCELLED", "TIMEOUT")
    [cancelled] = [e for e in saga.outbox(execution["orderId"]) if e["type"] == "order.cancelled"]
    assert cancelled["data"]["detail"].startswith("SagaInputInvalid") and named in cancelled["data"]["detail"]
    # Its cause is the order.placed the order published, not whatever the input held.
    [placed] = [e for e in saga.outbox(execution["orderId"]) if e["type"] == "order.placed"]
    assert cancelled["causationid"] == placed["id"]
    assert saga.on_hand() == 5
    assert saga.cloud.published() == []
    assert saga.charges() == []


def test_an_input_naming_no_order_fails_the_execution_and_changes_nothing(saga):
    execution = saga.place()
    saga.cloud.published()
    before = saga.order(execution["orderId"])

    with pytest.raises(Exception, match="names no order") as failed:
        saga.machine.run({**execution, "orderId": "not-an-order"})

    assert type(failed.value).__name__ == "SagaInputInvalid"
    assert saga.machine.history == ["ReserveStock", "CancelOrder"]
    assert saga.order(execution["orderId"]) == before
    assert (saga.on_hand(), saga.charges(), saga.cloud.published()) == (5, [], [])


def test_a_charge_task_that_dies_after_the_gateway_charged_is_retried_and_charges_once(saga, monkeypatch):
    """The gateway captures, then the sandbox dies before the task answers (nothing recorded, nothing
    announced). The state machine retries the crash; the retry's charge, with the same idempotency
    key, gets the first capture back, and the order is confirmed, charged once."""
    execution = saga.place()
    payment = next(m for m in saga.machine.tasks.values() if m.__name__ == "payment.task")
    gateway = payment.service.gateway
    charge = gateway.charge
    charged: list[str] = []

    def charge_then_die(*args: Any, **kwargs: Any) -> Any:
        outcome = charge(*args, **kwargs)
        charged.append(type(outcome).__name__)
        if len(charged) == 1:
            raise SandboxDied()
        return outcome

    monkeypatch.setattr(gateway, "charge", charge_then_die)

    end, _ = saga.machine.run(execution)

    assert end == CONFIRMED_STATE
    assert "retry Runtime.ExitError" in saga.machine.history
    assert charged == ["Captured", "Captured"]
    assert saga.charges() == ["CAPTURED"]
    assert saga.item("payment-payments", execution["orderId"])["status"] == "CAPTURED"
    assert saga.order(execution["orderId"])["status"] == "CONFIRMED"
