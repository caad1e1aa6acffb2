"""Each context's saga task module (sagaStyle orchestration), loaded as the program deploys it, has
exactly the actions the catalog's steps name for that context, and raises exactly the business
failures the catalog says the state machine catches; each such failure cancels the order with the
reason its choreographed twin does."""

import pytest
from order.domain import FAILURE_REASONS, STEP_FAILURE_REASONS
from saga_events.tasks import BusinessFailure

from contracts import load_catalog
from tests.harness.cloud import import_handler, mocked_cloud
from tests.harness.declared_stack import declared_orchestrated_stack

orchestration = load_catalog().orchestration
TASKS = [f for f in declared_orchestrated_stack().functions if f.handler.endswith(".task.handle")]
# The choreographed event each step failure stands for: the same reason must follow from both.
TWINS = {
    "OutOfStock": ("inventory.reservation-rejected", "OUT_OF_STOCK"),
    "UnknownSku": ("inventory.reservation-rejected", "UNKNOWN_SKU"),
    "PaymentDeclined": ("payment.declined", "CARD_DECLINED"),
    "CountryNotServed": ("shipping.failed", "COUNTRY_NOT_SERVED"),
}


def test_every_context_with_a_step_has_a_task_function():
    assert {f.context for f in TASKS} == set(orchestration.contexts)


@pytest.mark.parametrize("task", TASKS, ids=[f.name for f in TASKS])
def test_the_task_module_does_what_the_catalog_steps_ask_of_its_context(task, monkeypatch):
    dummies = {
        variable: value if variable.startswith("POWERTOOLS_") else f"dummy-{variable.lower()}"
        for variable, value in task.environment.items()
    }
    dummies["SERVED_COUNTRIES"] = "DE"
    with mocked_cloud(monkeypatch):
        module = import_handler(task, dummies, declared_orchestrated_stack(), monkeypatch)

    steps = [s for s in (*orchestration.steps, orchestration.cancellation) if s.context == task.context]
    expected = {name for s in steps for name in (s.action, s.compensation) if name}
    assert set(module.actions) == expected
    raised = {
        name
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, BusinessFailure) and value.__module__ == module.__name__
    }
    assert raised == {failure for s in steps for failure in s.failures}


def test_every_step_failure_cancels_with_the_reason_of_its_choreographed_twin():
    failures = {failure for step in orchestration.steps for failure in step.failures}
    assert failures == set(STEP_FAILURE_REASONS) == set(TWINS)
    for failure, twin in TWINS.items():
        assert STEP_FAILURE_REASONS[failure] is FAILURE_REASONS[twin], failure
