"""The operator's command derives its numbers from where the system keeps them."""

from datetime import UTC, datetime, timedelta

from saga_events.consumer import REMEMBER_EVENTS_FOR

from components.alarm_rules import DEFAULT_OLDEST_MESSAGE_ALARM_SECONDS, RULES, Watched
from ops import replay
from ops.__main__ import _instant
from ops.stack import DEFAULT_ORDER_DEADLINE_SECONDS, Stack
from saga_client import SagaTarget


def test_a_window_older_than_the_consumers_memory_is_warned_about():
    now = datetime(2026, 12, 2, tzinfo=UTC)
    memory = timedelta(seconds=REMEMBER_EVENTS_FOR)
    assert replay.idempotency_memory() == memory
    assert replay.older_than_memory(now - memory - timedelta(seconds=1), now)
    assert not replay.older_than_memory(now - memory + timedelta(seconds=1), now)


def test_the_stacks_config_sets_the_thresholds_and_the_defaults_are_the_programs():
    target = SagaTarget(outputs={})
    assert Stack("dev", target, {}).oldest_message_alarm_seconds == DEFAULT_OLDEST_MESSAGE_ALARM_SECONDS
    assert Stack("dev", target, {}).order_deadline_seconds == DEFAULT_ORDER_DEADLINE_SECONDS
    configured = Stack("dev", target, {"oldestMessageAlarmSeconds": "42", "orderDeadlineSeconds": "7"})
    assert (configured.oldest_message_alarm_seconds, configured.order_deadline_seconds) == (42, 7)
    assert Stack.of(target, "dev").oldest_message_alarm_seconds == 300  # Pulumi.dev.yaml


def test_an_alarm_fires_above_its_threshold_only():
    [stalled] = [rule for rule in RULES if rule.watches is Watched.QUEUE]
    assert not stalled.breached(300, 300)
    assert stalled.breached(301, 300)
    [dead_letters] = [rule for rule in RULES if rule.watches is Watched.DEAD_LETTER_QUEUE]
    assert dead_letters.breached(1, 300) and not dead_letters.breached(0, 300)


def test_times_are_iso_8601_or_a_duration_ago():
    assert _instant("2026-12-02T10:00:00Z") == datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert _instant("2026-12-02T10:00:00") == datetime(2026, 12, 2, 10, tzinfo=UTC)
    assert abs((datetime.now(UTC) - _instant("10m")) - timedelta(minutes=10)) < timedelta(seconds=5)


def test_tail_filters_by_order_correlation_type_and_context():
    from ops.event_log import EventFilter, LoggedEvent

    def logged(event_type, order_id="o-1"):
        return LoggedEvent(0, "l", "t", "saga.x", event_type, 1, order_id, order_id, None, "id", None)

    assert EventFilter(order_id="o-1").matcher()(logged("order.placed"))
    assert not EventFilter(order_id="o-2").matcher()(logged("order.placed"))
    assert EventFilter(correlation_id="o-1").matcher()(logged("order.placed"))
    assert not EventFilter(event_type="payment.captured").matcher()(logged("order.placed"))
    # Loyalty consumes payment.captured and produces loyalty.points-awarded; inventory.reserved is none of its business.
    loyalty = EventFilter(context="loyalty").matcher()
    assert loyalty(logged("payment.captured")) and loyalty(logged("loyalty.points-awarded"))
    assert not loyalty(logged("inventory.reserved"))


def test_the_deadline_is_the_deployed_programs_unless_one_is_given():
    deployed = SagaTarget(outputs={"orderDeadlineSeconds": 60})
    # The stack file names no deadline, the program was handed one: ops judges by what was deployed.
    assert Stack.of(deployed, "dev").order_deadline_seconds == 60
    assert Stack("dev", deployed, {"orderDeadlineSeconds": "1"}).order_deadline_seconds == 1
