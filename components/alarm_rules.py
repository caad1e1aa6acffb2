"""What each operations alarm watches and when it fires: plain data, no Pulumi.

The alarm component (components/alarms.py) declares CloudWatch alarms from these rules, and the
operator's `ops health` evaluates the same rules against the live system, so the alarm that
would page and what an operator sees on the embedded cloud (where alarms are never evaluated)
cannot drift apart.
"""

from dataclasses import dataclass
from enum import StrEnum

# Each alarm looks at one minute of its metric and fires on the first breaching minute.
PERIOD_SECONDS = 60
EVALUATION_PERIODS = 1
COMPARISON = "GreaterThanThreshold"
# No data is no trouble: a function that never ran has no Errors datapoints.
TREAT_MISSING_DATA = "notBreaching"
# The stack config key that sets the stalled-queue threshold, and its value when unset.
OLDEST_MESSAGE_CONFIG_KEY = "oldestMessageAlarmSeconds"
DEFAULT_OLDEST_MESSAGE_ALARM_SECONDS = 300


class Watched(StrEnum):
    """The resource of a context whose metric an alarm reads."""

    DEAD_LETTER_QUEUE = "dead-letter queue"
    QUEUE = "queue"
    FORWARDING_RULE = "forwarding rule"
    FUNCTION = "function"
    HTTP_API = "HTTP API"


@dataclass(frozen=True)
class AlarmRule:
    # The alarm is named "<context>-<suffix>" ("<context>-<function>-<suffix>" for functions).
    suffix: str
    says: str
    watches: Watched
    namespace: str
    metric: str
    statistic: str
    # None: the stack's oldestMessageAlarmSeconds.
    threshold: float | None

    def threshold_for(self, oldest_message_alarm_seconds: int) -> float:
        return float(oldest_message_alarm_seconds) if self.threshold is None else self.threshold

    def breached(self, value: float, oldest_message_alarm_seconds: int) -> bool:
        return value > self.threshold_for(oldest_message_alarm_seconds)


# Every bounded context's alarms.
RULES: tuple[AlarmRule, ...] = (
    AlarmRule(
        "dlq-not-empty",
        "messages are waiting in the dead-letter queue",
        Watched.DEAD_LETTER_QUEUE,
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "Maximum",
        0,
    ),
    AlarmRule(
        "queue-stalled",
        "the oldest message has waited too long",
        Watched.QUEUE,
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        "Maximum",
        None,
    ),
    AlarmRule(
        "forwarding-failed",
        "the global bus failed to forward events",
        Watched.FORWARDING_RULE,
        "AWS/Events",
        "FailedInvocations",
        "Sum",
        0,
    ),
    AlarmRule("errors", "errors", Watched.FUNCTION, "AWS/Lambda", "Errors", "Sum", 0),
    AlarmRule("throttles", "throttles", Watched.FUNCTION, "AWS/Lambda", "Throttles", "Sum", 0),
)

# The order API's own alarm.
API_SERVER_ERRORS = AlarmRule("5xx", "server errors", Watched.HTTP_API, "AWS/ApiGateway", "5xx", "Sum", 0)
