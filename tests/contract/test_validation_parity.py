"""The event library's validator (jsonschema-rs) judges every event as the reference does.

The reference is python-jsonschema's Draft 2020-12 validator with its format checker, the
validator the publish and receive paths used before. Each schema's example event, events
generated from each schema, and hundreds of single-flaw variants of both (a missing or
mistyped field, a bad date-time or uuid, a dataschema naming an unknown or another type's
schema, ...) go through both: the verdicts must be the same, and a refusal must name the
same part of the event and the same place in it.
"""

import copy
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from saga_events import InvalidEvent, new_event
from saga_events.validation import FORMAT_CHECKS, validate_event

from contracts import load_catalog, load_envelope_schema, load_event_schemas
from tests.harness.generation import event_data
from tests.harness.reference_validation import Refusal, reference_refusal
from tools.examples import example_event

CATALOG = load_catalog()
SCHEMAS = load_event_schemas()
EXAMPLES = {(c.type, c.version): example_event(CATALOG, c, SCHEMAS[c.dataschema]) for c in CATALOG.events}

# Format values on both sides of the reference's line, including where jsonschema-rs's own
# checks draw it elsewhere (a leap second, a trailing newline, hyphens out of place).
DATE_TIMES = [
    "2026-01-01T00:00:00Z",
    "2026-01-01t00:00:00.123456+05:30",
    "2024-02-29T23:59:59-00:00",
    "2023-02-29T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2016-12-31T23:59:60Z",
    "2026-01-01T00:00:00Z\n",
    "2026-01-01 00:00:00Z",
    "2026-01-01T00:00:00",
    "2026-01-01T00:00:00+0000",
    "0000-01-01T00:00:00Z",
    "yesterday",
]
UUIDS = [
    "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "7C9E6679-7425-40DE-944B-E07FC1F90AE7",
    "7c9e6679-7425-40de-944b-e07fc1f9-0ae7",
    "7c9e6679742540de944be07fc1f90ae7",
    "{7c9e6679-7425-40de-944b-e07fc1f90ae7}",
    "urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "7c9e6679-7425-40de-944b-e07fc1f90ae",
    "7c9e6679-7425-40de-944b-e07fc1f90ae7\n",
    "not-a-uuid",
]
DATASCHEMAS = [
    "not a uri",
    "https://schemas.order-saga.example/events/order.placed/v9.json",
    "https://elsewhere.example/events/order.placed/v1.json",
    *sorted(SCHEMAS),  # every type's schema: all but one name another type's
]
OTHER_VALUES: list[Any] = [None, True, 0, -1, 1.5, 10**11, "", "x", "X" * 300, [], {}]


def _paths(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _replaced(event: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    flawed = copy.deepcopy(event)
    parent = flawed
    for part in path[:-1]:
        parent = parent[part]
    if value is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return flawed


_DELETE = object()


def flaws(event: dict[str, Any]) -> list[tuple[tuple[str | int, ...], list[Any]]]:
    """Each place in `event` with the values to try there: removed, retyped, or given values its
    format, pattern or bounds may refuse; a list emptied or overfilled."""
    sites = []
    for path in list(_paths(event))[1:]:
        current = event
        for part in path:
            current = current[part]
        candidates: list[Any] = [_DELETE, *OTHER_VALUES]
        if isinstance(current, str):
            candidates += [*DATE_TIMES, *UUIDS]
        if path == ("dataschema",):
            candidates += DATASCHEMAS
        if isinstance(current, list) and current:
            candidates.append([current[0]] * 30)
        if isinstance(current, int) and not isinstance(current, bool):
            candidates += [current + 1, current - 1, 0, 1001]
        sites.append((path, candidates))
    return sites


def variants(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, candidates in flaws(event):
        for value in candidates:
            yield _label(path, value), _replaced(event, path, value)


def _label(path: tuple[str | int, ...], value: Any) -> str:
    return f"{'/'.join(map(str, path))} {'removed' if value is _DELETE else repr(value)[:40]}"


def verdict(event: dict[str, Any]) -> str | None:
    try:
        validate_event(event)
    except InvalidEvent as refusal:
        return str(refusal)
    return None


def assert_same_verdict(event: dict[str, Any]) -> None:
    expected, ours = reference_refusal(event), verdict(event)
    if expected is None:
        assert ours is None, f"the reference accepts it, ours refuses: {ours}"
        return
    assert ours is not None, f"the reference refuses it ({expected}), ours accepts it"
    assert _part_and_place(ours) == (expected.part, _place(expected)), (ours, expected)


def _place(refusal: Refusal) -> str:
    return "/".join(map(str, refusal.path)) or "(root)"


def _part_and_place(message: str) -> tuple[str, str]:
    """("envelope" | "data" | "dataschema", where) from a message of saga_events.validation."""
    if "no schema is known" in message or "is another type's" in message:
        return "dataschema", "(root)"
    head = message.split(": ", 1)[0]  # "<what> invalid at <where>"
    what, where = head.split(" invalid at ", 1)
    return ("envelope" if what == "envelope" else "data"), where


@pytest.mark.parametrize(("event_type", "version"), list(EXAMPLES), ids=[f"{t}.v{v}" for t, v in EXAMPLES])
def test_every_schema_example_and_its_flawed_variants_get_the_reference_verdict(event_type, version):
    example = EXAMPLES[(event_type, version)]
    assert_same_verdict(example)
    refused = 0
    for label, flawed in variants(example):
        try:
            assert_same_verdict(flawed)
        except AssertionError as error:
            raise AssertionError(f"{label}: {error}") from None
        refused += reference_refusal(flawed) is not None
    assert refused > 50  # the variants do reach the checks, formats included


@pytest.mark.parametrize(("event_type", "version"), list(EXAMPLES), ids=[f"{t}.v{v}" for t, v in EXAMPLES])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_events_and_a_flaw_in_each_get_the_reference_verdict(event_type, version, data):
    contract = CATALOG.contract(event_type, version)
    event = new_event(
        event_type,
        data.draw(event_data(event_type, version), label="data"),
        source=CATALOG.source_of(contract.producer),
        correlation_id=str(data.draw(st.uuids(), label="correlation id")),
        causation_id=str(data.draw(st.uuids(), label="causation id")),
        version=version,
    )
    assert_same_verdict(event)
    path, candidates = data.draw(st.sampled_from(flaws(event)), label="place")
    value = data.draw(st.sampled_from(candidates), label="value")
    note = _label(path, value)
    try:
        assert_same_verdict(_replaced(event, path, value))
    except AssertionError as error:
        raise AssertionError(f"{note}: {error}") from None


@pytest.mark.parametrize(("event_type", "version"), list(EXAMPLES), ids=[f"{t}.v{v}" for t, v in EXAMPLES])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_with_two_flaws_the_refusal_names_the_one_the_reference_names(event_type, version, data):
    event, notes = EXAMPLES[(event_type, version)], []
    for _ in range(2):
        path, candidates = data.draw(st.sampled_from(flaws(event)), label="place")
        value = data.draw(st.sampled_from(candidates), label="value")
        notes.append(_label(path, value))
        event = _replaced(event, path, value)
    try:
        assert_same_verdict(event)
    except AssertionError as error:
        raise AssertionError(f"{' and '.join(notes)}: {error}") from None


@st.composite
def date_times_and_near_misses(draw: st.DrawFn) -> str:
    """A real instant written as RFC 3339 does, or as it nearly does (a space, no offset, a leap
    second, a compact offset, a lowercase letter, a trailing newline, an hour too far)."""
    moment = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
    fraction = draw(st.sampled_from(["", f".{moment.microsecond:06d}", ".5", "."]))
    offset = draw(st.sampled_from(["Z", "z", "+00:00", "-05:30", "+0530", "+24:00", "", "+23:59"]))
    text = moment.strftime("%Y-%m-%d") + draw(st.sampled_from(["T", "t", " "])) + moment.strftime("%H:%M:%S")
    text = draw(st.sampled_from([text, text[:-2] + "60", text[:11] + "24" + text[13:]]))
    return text + fraction + offset + draw(st.sampled_from(["", "\n", " "]))


@st.composite
def uuids_and_near_misses(draw: st.DrawFn) -> str:
    """A UUID in its canonical form, in the other forms uuid.UUID reads, or with a hyphen astray."""
    value = str(draw(st.uuids()))
    value = draw(st.sampled_from([value, value.upper(), value.replace("-", ""), f"{{{value}}}", f"urn:uuid:{value}"]))
    if draw(st.booleans()):
        at = draw(st.integers(0, len(value)))
        value = draw(st.sampled_from([value[:at] + "-" + value[at:], value[:at] + value[at + 1 :]]))
    return value + draw(st.sampled_from(["", "\n"]))


NEAR_MISSES = {"date-time": date_times_and_near_misses(), "uuid": uuids_and_near_misses()}


@pytest.mark.parametrize("format_name", sorted(FORMAT_CHECKS))
@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_each_format_check_draws_the_line_where_the_reference_does(format_name, data):
    value = data.draw(st.one_of(NEAR_MISSES[format_name], st.text(max_size=40)), label="value")
    expected = Draft202012Validator.FORMAT_CHECKER.conforms(value, format_name)
    assert FORMAT_CHECKS[format_name](value) == expected, value


@pytest.mark.parametrize("format_name", sorted(NEAR_MISSES))
def test_the_near_misses_fall_on_both_sides_of_the_line(format_name):
    conforms = Draft202012Validator.FORMAT_CHECKER.conforms
    find(NEAR_MISSES[format_name], lambda value: conforms(value, format_name))
    find(NEAR_MISSES[format_name], lambda value: not conforms(value, format_name))


def _formats_used(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        if isinstance(schema.get("format"), str):
            yield schema["format"]
        for child in schema.values():
            yield from _formats_used(child)
    elif isinstance(schema, list):
        for child in schema:
            yield from _formats_used(child)


def test_every_format_the_contracts_use_is_checked_as_the_reference_checks_it():
    # A format left to jsonschema-rs would be judged by its own rules (or not at all, as
    # "uri" is by the reference without rfc3987): add a check that matches the reference first.
    used = set(_formats_used(load_envelope_schema())) | {f for s in SCHEMAS.values() for f in _formats_used(s)}
    assert used <= set(FORMAT_CHECKS), sorted(used - set(FORMAT_CHECKS))


@pytest.mark.parametrize(
    ("flaw", "message"),
    [
        (
            lambda e: e["data"]["lines"][0].update(quantity=0),
            "order.placed data invalid at lines/0/quantity: 0 is less than the minimum of 1",
        ),
        (lambda e: e["data"].update(placedAt="2016-12-31T23:59:60Z"), "order.placed data invalid at placedAt: "),
        (lambda e: e["data"].update(orderId="not-a-uuid"), "order.placed data invalid at orderId: "),
        (lambda e: e.update(time="yesterday"), "envelope invalid at time: "),
        (lambda e: e.pop("causationid"), "envelope invalid at (root): "),
        (
            lambda e: e.update(dataschema=CATALOG.contract("payment.captured", 1).dataschema),
            "order.placed: dataschema https://schemas.order-saga.example/events/payment.captured/v1.json "
            "is another type's",
        ),
    ],
)
def test_a_refusal_says_which_field_and_why(flaw, message):
    event = copy.deepcopy(EXAMPLES[("order.placed", 3)])
    flaw(event)
    with pytest.raises(InvalidEvent) as refusal:
        validate_event(event)
    assert str(refusal.value).startswith(message), str(refusal.value)
