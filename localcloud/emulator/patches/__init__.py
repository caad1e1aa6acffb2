"""Narrow fixes to moto, applied inside the moto server subprocess only (see ../server.py).

Each module fixes one thing where moto differs from AWS or leaks, and checks at
`apply()` that the moto internals it relies on still have the shape it expects,
so a moto upgrade that moves them fails loudly at start instead of quietly
undoing the fix. The fixes to moto's Step Functions interpreter, slow to import,
are applied and checked when the server first serves Step Functions
(stepfunctions_executions.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from localcloud.emulator.patches import (
    dynamodb_isolation,
    dynamodb_query_partition,
    dynamodb_stream_iterators,
    dynamodb_stream_retention,
    dynamodb_transactions,
    eventbridge_envelope,
    eventbridge_input_paths_parsed_once,
    eventbridge_one_hop,
    eventbridge_replay_window,
    kms_key_pairs_on_first_use,
    server_routes_without_listing,
    sqs_deleted_messages,
    sqs_message_move_tasks,
    stepfunctions_context_start_time,
    stepfunctions_execution_logs,
    stepfunctions_execution_names,
    stepfunctions_executions,
    stepfunctions_lambda_errors,
    stepfunctions_stop_execution,
    stepfunctions_task_clients,
    weak_instance_tracking,
)

PATCHES: dict[str, Callable[[], None]] = {
    "eventbridge_envelope": eventbridge_envelope.apply,
    "eventbridge_one_hop": eventbridge_one_hop.apply,
    "eventbridge_replay_window": eventbridge_replay_window.apply,
    "weak_instance_tracking": weak_instance_tracking.apply,
    "dynamodb_isolation": dynamodb_isolation.apply,
    "dynamodb_transactions": dynamodb_transactions.apply,
    "dynamodb_query_partition": dynamodb_query_partition.apply,
    "dynamodb_stream_iterators": dynamodb_stream_iterators.apply,
    "dynamodb_stream_retention": dynamodb_stream_retention.apply,
    "sqs_deleted_messages": sqs_deleted_messages.apply,
    "sqs_message_move_tasks": sqs_message_move_tasks.apply,
    "kms_key_pairs_on_first_use": kms_key_pairs_on_first_use.apply,
    "eventbridge_input_paths_parsed_once": eventbridge_input_paths_parsed_once.apply,
    "server_routes_without_listing": server_routes_without_listing.apply,
    "stepfunctions_executions": stepfunctions_executions.apply,
    "stepfunctions_execution_names": stepfunctions_execution_names.apply,
    "stepfunctions_lambda_errors": stepfunctions_lambda_errors.apply,
    "stepfunctions_context_start_time": stepfunctions_context_start_time.apply,
    "stepfunctions_stop_execution": stepfunctions_stop_execution.apply,
    "stepfunctions_task_clients": stepfunctions_task_clients.apply,
    "stepfunctions_execution_logs": stepfunctions_execution_logs.apply,
}


def apply(without: Collection[str] = ()) -> None:
    """Apply every fix but those named in `without` (benchmarks compare with stock moto)."""
    unknown = set(without) - set(PATCHES)
    if unknown:
        raise ValueError(f"unknown moto patches {sorted(unknown)}; known: {sorted(PATCHES)}")
    for name, apply_patch in PATCHES.items():
        if name not in without:
            apply_patch()
