"""Routing derives from the catalog: each context receives exactly what it consumes."""

import json

from contracts import load_catalog

catalog = load_catalog()


def _rules(program):
    return {r.name: r for r in program.of_type("aws:cloudwatch/eventRule:EventRule")}


def _patterns_matching(pattern: dict) -> set[tuple[str, str]]:
    return {(t, s) for t in pattern["detail-type"] for s in pattern["detail"]["dataschema"]}


def test_each_consumer_forwarding_rule_matches_its_catalog_entries(program):
    rules = _rules(program)
    for context in catalog.contexts:
        consumed = catalog.consumed_by(context)
        if not consumed:
            assert f"{context}-forward" not in rules
            continue
        pattern = json.loads(rules[f"{context}-forward"].inputs["eventPattern"])
        # The dataschema names type and version together: the pair set must be the catalog's.
        allowed = {c.dataschema for c in consumed}
        assert set(pattern["detail"]["dataschema"]) == allowed
        assert set(pattern["detail-type"]) == {c.type for c in consumed}
        assert set(pattern) == {"detail-type", "detail"}


def test_forwarding_rules_sit_on_the_global_bus_and_target_the_private_bus(program):
    buses = {r.name: r.outputs for r in program.of_type("aws:cloudwatch/eventBus:EventBus")}
    global_bus = buses["saga-global-bus"]["name"]
    targets = {r.name: r.inputs for r in program.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    for context in catalog.contexts:
        if not catalog.consumed_by(context):
            continue
        rule = _rules(program)[f"{context}-forward"]
        assert rule.inputs["eventBusName"] == global_bus
        target = targets[f"{context}-forward-target"]
        assert target["arn"] == buses[f"{context}-bus"]["arn"]
        assert "deadLetterConfig" in target


def test_private_buses_deliver_to_queues_never_to_another_bus(program):
    """EventBridge forwards across one bus hop only; a second hop would silently drop events."""
    buses = {r.outputs["name"]: r for r in program.of_type("aws:cloudwatch/eventBus:EventBus")}
    global_bus = next(name for name, r in buses.items() if r.name == "saga-global-bus")
    for target in program.of_type("aws:cloudwatch/eventTarget:EventTarget"):
        if target.inputs.get("eventBusName") != global_bus:
            assert ":event-bus/" not in target.inputs["arn"], target.name


def test_every_saga_event_reaches_the_event_log_and_the_archive(program):
    log_rule = _rules(program)["saga-log-every-event"]
    assert set(json.loads(log_rule.inputs["eventPattern"])["source"]) == set(catalog.sources.values())
    archive = program.of_type("aws:cloudwatch/eventArchive:EventArchive")[0]
    assert archive.inputs["retentionDays"] > 0
    log_group = next(r for r in program.of_type("aws:cloudwatch/logGroup:LogGroup") if r.name == "saga-event-log")
    assert log_group.inputs["name"].startswith("/aws/events/")
    assert log_group.inputs["retentionInDays"] > 0
