"""Per-stack settings, read from Pulumi.<stack>.yaml. Nothing environment-specific is hard-coded."""

from dataclasses import dataclass

import pulumi


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
            oldest_message_alarm_seconds=config.get_int("oldestMessageAlarmSeconds") or 300,
            served_countries=tuple(config.require_object("servedCountries")),
        )
