"""Lambda functions, layers, event source mappings and permissions.

moto can store functions but not run them without Docker, so these are only
recorded here; the function host (localcloud/functions/host.py) runs them.
"""

from __future__ import annotations

import uuid

from botocore.exceptions import ClientError

from localcloud.emulator.identity import REGION
from localcloud.provisioning import code_archives
from localcloud.provisioning.resources.base import Handler, Inputs, Provisioner, State, arn, as_int

FUNCTION = "aws:lambda/function:Function"
LAYER_VERSION = "aws:lambda/layerVersion:LayerVersion"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
PERMISSION = "aws:lambda/permission:Permission"
EVENT_INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"


def invoke_arn(function_arn: str) -> str:
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


# Lambda refuses to create a function that sets any of these itself.
_RESERVED_VARIABLES = {
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
}


def _role_must_exist(p: Provisioner, logical: str, role_arn: str) -> None:
    try:
        p.client("iam").get_role(RoleName=role_arn.rsplit("/", 1)[-1])
    except ClientError:
        raise ValueError(f"Function '{logical}': role {role_arn} does not exist (AWS would refuse it)") from None


def create_function(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = p.name(inputs, logical, FUNCTION, 64)
    if inputs.get("packageType") == "Image" or "code" not in inputs:
        raise ValueError(f"Function '{logical}': the embedded cloud runs zip functions with code only")
    _role_must_exist(p, logical, inputs["role"])
    variables = dict((inputs.get("environment") or {}).get("variables") or {})
    if reserved := sorted(_RESERVED_VARIABLES & set(variables)):
        raise ValueError(f"Function '{logical}': reserved environment variables {reserved}")
    function_arn = arn("lambda", f"function:{name}")
    version = "1" if inputs.get("publish") else "$LATEST"
    reserved = as_int(inputs.get("reservedConcurrentExecutions"))
    if reserved is not None and reserved < -1:
        raise ValueError(f"Function '{logical}': reservedConcurrentExecutions must be -1 (unreserved) or more")
    logging_config = inputs.get("loggingConfig") or {}
    p.record(
        "functions",
        {
            "logical_name": logical,
            "name": name,
            "arn": function_arn,
            "handler": inputs.get("handler"),
            "runtime": inputs.get("runtime"),
            "timeout": as_int(inputs.get("timeout")) or 3,
            "memory_size": as_int(inputs.get("memorySize")) or 128,
            "environment": variables,
            "layers": list(inputs.get("layers") or []),
            "role": inputs["role"],
            "log_group": logging_config.get("logGroup") or f"/aws/lambda/{name}",
            "log_format": logging_config.get("logFormat") or "Text",
            # Lambda filters its own lines by level in the JSON format only.
            "system_log_level": (logging_config.get("systemLogLevel") or "INFO")
            if logging_config.get("logFormat") == "JSON"
            else "INFO",
            "code": code_archives.describe(inputs["code"], p.project_dir),
            # pulumi-aws says -1 for "no reservation": the function shares the account's pool.
            "reserved_concurrency": None if reserved is None or reserved < 0 else reserved,
        },
    )
    return name, {
        **inputs,
        "name": name,
        "arn": function_arn,
        "invokeArn": invoke_arn(function_arn),
        "qualifiedArn": f"{function_arn}:{version}",
        "qualifiedInvokeArn": invoke_arn(f"{function_arn}:{version}"),
        "version": version,
        "timeout": as_int(inputs.get("timeout")) or 3,
        "memorySize": as_int(inputs.get("memorySize")) or 128,
    }


def create_layer_version(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    name = inputs["layerName"]
    layer_arn = arn("lambda", f"layer:{name}")
    version_arn = f"{layer_arn}:1"
    code = code_archives.describe(inputs["code"], p.project_dir) if inputs.get("code") else None
    p.record("layers", {"logical_name": logical, "name": name, "arn": version_arn, "code": code})
    return version_arn, {
        **inputs,
        "arn": version_arn,
        "layerArn": layer_arn,
        "version": "1",
    }


def _event_source_must_exist(p: Provisioner, logical: str, source_arn: str) -> str:
    service = source_arn.split(":")[2]
    try:
        if service == "sqs":
            p.client("sqs").get_queue_url(QueueName=source_arn.rsplit(":", 1)[-1])
            return "sqs"
        if service == "dynamodb" and "/stream/" in source_arn:
            p.client("dynamodbstreams").describe_stream(StreamArn=source_arn)
            return "dynamodb"
    except ClientError:
        raise ValueError(f"EventSourceMapping '{logical}': event source {source_arn} does not exist") from None
    raise ValueError(
        f"EventSourceMapping '{logical}': the embedded cloud polls SQS queues and DynamoDB "
        f"streams only, not {source_arn}"
    )


def create_event_source_mapping(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    source_arn = inputs["eventSourceArn"]
    source_type = _event_source_must_exist(p, logical, source_arn)
    mapping_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{p.stack}/{logical}"))
    default_batch = 10 if source_type == "sqs" else 100
    destination = ((inputs.get("destinationConfig") or {}).get("onFailure") or {}).get("destinationArn")
    filters = (inputs.get("filterCriteria") or {}).get("filters") or []
    retries = inputs.get("maximumRetryAttempts")
    maximum_concurrency = _maximum_concurrency(logical, source_type, inputs)
    if (as_int(inputs.get("parallelizationFactor")) or 1) > 1:
        raise ValueError(
            f"EventSourceMapping '{logical}': the embedded cloud keeps one batch per shard in flight "
            "(ParallelizationFactor 1)"
        )
    p.record(
        "event_source_mappings",
        {
            "logical_name": logical,
            "uuid": mapping_id,
            "function": inputs["functionName"],
            "event_source_arn": source_arn,
            "source_type": source_type,
            "batch_size": as_int(inputs.get("batchSize")) or default_batch,
            "maximum_batching_window_in_seconds": as_int(inputs.get("maximumBatchingWindowInSeconds")) or 0,
            "function_response_types": list(inputs.get("functionResponseTypes") or []),
            "starting_position": inputs.get("startingPosition"),
            "maximum_retry_attempts": -1 if retries is None else int(retries),
            "bisect_batch_on_function_error": bool(inputs.get("bisectBatchOnFunctionError")),
            "on_failure_destination": destination,
            "filter_patterns": [f["pattern"] for f in filters if f.get("pattern")],
            "enabled": inputs.get("enabled", True) is not False,
            "maximum_concurrency": maximum_concurrency,
        },
    )
    return mapping_id, {
        **inputs,
        "uuid": mapping_id,
        "arn": arn("lambda", f"event-source-mapping:{mapping_id}"),
        "functionArn": _function_arn(inputs["functionName"]),
        "state": "Enabled",
    }


def _maximum_concurrency(logical: str, source_type: str, inputs: Inputs) -> int | None:
    # Lambda refuses a ScalingConfig outside 2..1000, and one on anything but an SQS queue.
    value = as_int((inputs.get("scalingConfig") or {}).get("maximumConcurrency"))
    if value is None:
        return None
    if source_type != "sqs":
        raise ValueError(f"EventSourceMapping '{logical}': ScalingConfig applies to SQS event sources only")
    if not 2 <= value <= 1000:
        raise ValueError(f"EventSourceMapping '{logical}': MaximumConcurrency must be between 2 and 1000, not {value}")
    return value


def _function_arn(name_or_arn: str) -> str:
    return name_or_arn if name_or_arn.startswith("arn:") else arn("lambda", f"function:{name_or_arn}")


def create_permission(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    statement_id = p.name(inputs, logical, PERMISSION, 100, name_key="statementId")
    p.record("permissions", {"logical_name": logical, "statement_id": statement_id, **inputs})
    return statement_id, {**inputs, "statementId": statement_id}


def create_event_invoke_config(p: Provisioner, logical: str, inputs: Inputs) -> tuple[str, State]:
    p.record("event_invoke_configs", {"logical_name": logical, **inputs})
    return inputs["functionName"], dict(inputs)


HANDLERS: dict[str, Handler] = {
    FUNCTION: create_function,
    LAYER_VERSION: create_layer_version,
    EVENT_SOURCE_MAPPING: create_event_source_mapping,
    PERMISSION: create_permission,
    EVENT_INVOKE_CONFIG: create_event_invoke_config,
}
