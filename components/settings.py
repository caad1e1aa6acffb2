"""Per-stack settings, read from Pulumi.<stack>.yaml. Nothing environment-specific is hard-coded.

`StackSettings` is what the program makes of its config; `StackConfig` is that config as the
Pulumi CLI hands it over, read from the files by whoever runs the program without the CLI
(the embedded cloud, the infrastructure tests).
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import yaml

from components.alarm_rules import DEFAULT_OLDEST_MESSAGE_ALARM_SECONDS, OLDEST_MESSAGE_CONFIG_KEY

# An order not CONFIRMED or CANCELLED this long after it was placed is past its deadline: the
# sweeper ends its saga, and `ops health` calls it stuck. Fifteen minutes unless the stack sets
# `orderDeadlineSeconds`: on AWS a message that keeps failing is dead-lettered after visibility
# timeout x maxReceiveCount (180 s x 5 with the dev stack), so by then every retry a saga step
# would get has been spent.
ORDER_DEADLINE_CONFIG_KEY = "orderDeadlineSeconds"
DEFAULT_ORDER_DEADLINE_SECONDS = 900
# How long the sweeper gives payment, once told an order's deadline passed, to settle the charge
# with the gateway before it cancels the order anyway: the same budget of retries again.
DEFAULT_DEADLINE_GRACE_SECONDS = 900
# How often the sweeper looks for orders past their deadline (an EventBridge Scheduler expression;
# a minute is the finest rate Scheduler takes).
DEFAULT_SWEEPER_SCHEDULE = "rate(1 minute)"
# How the saga's steps are coordinated: `choreography` (each context reacts to the events on the
# bus; no coordinator) or `orchestration` (a Step Functions state machine calls each context's task
# in turn and runs the compensations itself; components/order_orchestrator.py).
SAGA_STYLE_CONFIG_KEY = "sagaStyle"
SAGA_STYLES = ("choreography", "orchestration")


@dataclass(frozen=True)
class TaskRetry:
    """The state machine's Retry for a task's transient errors: attempts spaced by an interval that
    grows by `backoff_rate` up to `max_delay_seconds`, each delay drawn at random below it (FULL
    jitter), so retries of many executions do not arrive together."""

    interval_seconds: int = 1
    backoff_rate: float = 2.0
    max_attempts: int = 4
    max_delay_seconds: int = 30


@dataclass(frozen=True)
class StackSettings:
    powertools_layer_arn: str
    dependencies_layer_path: str
    function_timeout_seconds: int
    function_memory_mb: int
    max_receive_count: int
    queue_batch_size: int
    # Batches of one queue a worker may process at once (the mapping's ScalingConfig).
    queue_maximum_concurrency: int
    # Instances the HTTP API's function may run at once; None leaves it in the account's unreserved pool.
    api_reserved_concurrency: int | None
    event_log_retention_days: int
    function_log_retention_days: int
    archive_retention_days: int
    oldest_message_alarm_seconds: int
    served_countries: tuple[str, ...]
    # The order API stage's throttling: steady requests per second, and the burst above it.
    api_throttling_rate_limit: float
    api_throttling_burst_limit: int
    # A team's own OpenID Connect issuer and the audiences its tokens carry; None: the stack's own
    # Cognito user pool issues the tokens.
    jwt_issuer: str | None
    jwt_audiences: tuple[str, ...]
    # The functions' log level (Powertools'); WARN in production keeps errors and warnings only.
    log_level: str = "INFO"
    # The share of invocations that log everything (DEBUG) whatever the level; None: none.
    log_sample_rate: float | None = None
    order_deadline_seconds: int = DEFAULT_ORDER_DEADLINE_SECONDS
    order_deadline_grace_seconds: int = DEFAULT_DEADLINE_GRACE_SECONDS
    sweeper_schedule: str = DEFAULT_SWEEPER_SCHEDULE
    # Lambda's own log lines (LoggingConfig.SystemLogLevel): INFO writes START and REPORT for every
    # invocation; WARN only what went wrong. Invocations and durations stay in Lambda's metrics.
    system_log_level: str = "INFO"
    saga_style: str = "choreography"
    task_retry: TaskRetry = TaskRetry()
    # How long the state machine keeps its execution history in its log group.
    orchestrator_log_retention_days: int = 14

    def __post_init__(self) -> None:
        if self.saga_style not in SAGA_STYLES:
            raise ValueError(f"{SAGA_STYLE_CONFIG_KEY} must be one of {SAGA_STYLES}, not {self.saga_style!r}")

    @property
    def orchestrated(self) -> bool:
        return self.saga_style == "orchestration"

    @classmethod
    def from_config(cls) -> "StackSettings":
        config = pulumi.Config()
        return cls(
            powertools_layer_arn=config.require("powertoolsLayerArn"),
            dependencies_layer_path=config.get("dependenciesLayerPath") or "build/lambda-layer",
            function_timeout_seconds=config.get_int("functionTimeoutSeconds") or 30,
            function_memory_mb=config.get_int("functionMemoryMb") or 512,
            max_receive_count=config.get_int("maxReceiveCount") or 5,
            queue_batch_size=config.get_int("queueBatchSize") or 10,
            queue_maximum_concurrency=config.get_int("queueMaximumConcurrency") or 5,
            api_reserved_concurrency=config.get_int("apiReservedConcurrency"),
            event_log_retention_days=config.get_int("eventLogRetentionDays") or 14,
            function_log_retention_days=config.get_int("functionLogRetentionDays") or 14,
            archive_retention_days=config.get_int("archiveRetentionDays") or 30,
            oldest_message_alarm_seconds=config.get_int(OLDEST_MESSAGE_CONFIG_KEY)
            or DEFAULT_OLDEST_MESSAGE_ALARM_SECONDS,
            served_countries=tuple(config.require_object("servedCountries")),
            api_throttling_rate_limit=config.get_float("apiThrottlingRateLimit") or 100.0,
            api_throttling_burst_limit=config.get_int("apiThrottlingBurstLimit") or 200,
            jwt_issuer=config.get("jwtIssuer"),
            jwt_audiences=tuple(config.get_object("jwtAudiences") or ()),
            log_level=config.get("logLevel") or "INFO",
            log_sample_rate=config.get_float("logSampleRate"),
            order_deadline_seconds=config.get_int(ORDER_DEADLINE_CONFIG_KEY) or DEFAULT_ORDER_DEADLINE_SECONDS,
            order_deadline_grace_seconds=config.get_int("orderDeadlineGraceSeconds") or DEFAULT_DEADLINE_GRACE_SECONDS,
            sweeper_schedule=config.get("sweeperSchedule") or DEFAULT_SWEEPER_SCHEDULE,
            system_log_level=config.get("systemLogLevel") or "INFO",
            saga_style=config.get(SAGA_STYLE_CONFIG_KEY) or "choreography",
            task_retry=TaskRetry(**{_snake(k): v for k, v in (config.get_object("taskRetry") or {}).items()}),
            orchestrator_log_retention_days=config.get_int("orchestratorLogRetentionDays")
            or config.get_int("functionLogRetentionDays")
            or 14,
        )


def _snake(key: str) -> str:
    """taskRetry's keys as the stack file writes them (intervalSeconds) → TaskRetry's fields."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


@dataclass(frozen=True)
class StackConfig:
    project: str
    main: Path
    config: dict[str, str]


def _as_config_text(value: Any) -> str:
    # The CLI passes every value as a string; objects and lists as JSON.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def read_stack_config(project_dir: Path, stack: str) -> StackConfig:
    """The config of `stack` as the Pulumi CLI hands it to the program (for runs without the CLI)."""
    project_file = project_dir / "Pulumi.yaml"
    if not project_file.exists():
        raise FileNotFoundError(f"{project_file} not found; is {project_dir} a Pulumi project?")
    project_doc = yaml.safe_load(project_file.read_text()) or {}
    project = project_doc["name"]
    config: dict[str, str] = {}
    for key, declared in (project_doc.get("config") or {}).items():
        # Project-level config declares defaults: `key: value` or `key: {default: value}`.
        is_spec = isinstance(declared, dict)
        value = declared.get("value", declared.get("default")) if is_spec else declared
        if value is not None:
            config[_full_key(project, key)] = _as_config_text(value)
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if stack_file.exists():
        stack_doc = yaml.safe_load(stack_file.read_text()) or {}
        for key, value in (stack_doc.get("config") or {}).items():
            if isinstance(value, dict) and set(value) == {"secure"}:
                raise ValueError(
                    f"{stack_file}: {key} is a secret; the embedded cloud cannot decrypt it, "
                    "give it a plain local value"
                )
            config[_full_key(project, key)] = _as_config_text(value)
    main = project_dir / (project_doc.get("main") or "")
    if main.is_dir():
        main = main / "__main__.py"
    return StackConfig(project=project, main=main, config=config)
