"""Each queue worker, loaded as the Pulumi program deploys it, dispatches exactly what the catalog
says its context consumes: no catalog event without a handler, no handler for an event never routed.

Importing with only the declared variables set also proves a handler reads no configuration
the infrastructure does not give it: a missing one fails the import with KeyError.
"""

import pytest

from contracts import load_catalog
from tests.harness.cloud import import_handler, mocked_cloud
from tests.harness.declared_stack import declared_stack

WORKERS = declared_stack().queue_workers()


def test_every_consuming_context_has_a_queue_worker():
    catalog = load_catalog()
    consuming = {context for context in catalog.contexts if catalog.consumed_by(context)}
    assert {worker.context for worker in WORKERS} == consuming


@pytest.mark.parametrize("worker", WORKERS, ids=[worker.name for worker in WORKERS])
def test_the_dispatch_table_is_what_the_catalog_routes_to_the_context(worker, monkeypatch):
    # Powertools' own settings keep their declared values: a log level must be one.
    dummies = {
        variable: value if variable.startswith("POWERTOOLS_") else f"dummy-{variable.lower()}"
        for variable, value in worker.environment.items()
    }
    with mocked_cloud(monkeypatch):
        module = import_handler(worker, dummies, declared_stack(), monkeypatch)

    expected = {(event.type, event.version) for event in load_catalog().consumed_by(worker.context)}
    assert set(module.consume.handlers) == expected
