from hypothesis import given, settings, strategies as st, HealthCheck
from saga_events import new_event
from saga_events.validation import validate_event
from contracts import load_catalog
from tests.harness.generation import event_data
import collections
seen = collections.Counter()
CAT = load_catalog()
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_gen(data):
    for e in CAT.events:
        d = data.draw(event_data(e.type))
        validate_event(new_event(e.type, d, source="saga.x", correlation_id="c", causation_id="x"))
        seen[(e.type, tuple(sorted(d)))] += 1
def test_show():
    print(len(seen), list(seen.items())[:5])
