"""What a deploy produces, and how it fails."""

import json

import pytest

from localcloud.provisioning.deploy import DeployError, deploy_in_subprocess
from localcloud.provisioning.deployment import state_dir

from .conftest import FIXTURES


def test_deployment_records_functions_mappings_and_apis(cloud):
    deployment = cloud.deployment
    worker = deployment.function("worker")
    assert worker.name.startswith("worker-") and len(worker.name) == len("worker-") + 7
    assert worker.handler == "handlers.worker.handle"
    assert (worker.timeout, worker.memory_size) == (10, 256)
    assert worker.environment["RESULTS_QUEUE_URL"] == cloud.outputs["queues"]["results"]
    # AssetArchive keys become folders; a FileArchive of a folder is its contents.
    code = state_dir(cloud.project_dir, "dev") / "functions"
    assert (code / worker.name / "handlers/worker.py").is_file()
    streamer = deployment.function("streamer")
    assert (code / streamer.name / "streamer.py").is_file()
    assert not list(code.rglob("__pycache__"))

    [sqs_mapping] = [m for m in deployment.event_source_mappings if m.function == worker.name]
    assert sqs_mapping.source_type == "sqs"
    assert sqs_mapping.function_response_types == ["ReportBatchItemFailures"]
    assert sqs_mapping.maximum_concurrency is None
    [slow_mapping] = [m for m in deployment.event_source_mappings if m.function == deployment.function("sleeper").name]
    assert slow_mapping.maximum_concurrency == 3
    assert deployment.function("api").reserved_concurrency == 2
    assert worker.reserved_concurrency is None
    [stream_mapping] = [m for m in deployment.event_source_mappings if m.source_type == "dynamodb"]
    assert stream_mapping.function == streamer.name
    assert stream_mapping.starting_position == "TRIM_HORIZON"
    assert json.loads(stream_mapping.filter_patterns[0])["eventName"] == ["INSERT"]

    [api] = deployment.http_apis
    assert {r.route_key: r.timeout_ms for r in api.routes} == {
        "GET /orders/{order_id}": 30_000,
        "POST /orders": 30_000,
        "GET /boom": 30_000,
        "GET /files/{proxy+}": 30_000,
        "GET /sleep/{seconds}": 30_000,
        "GET /slow/{seconds}": 1_000,
    }
    saved = json.loads((state_dir(cloud.project_dir, "dev") / "deployment.json").read_text())
    assert saved["functions"][0]["code_dir"]


def test_unknown_resource_type_fails_the_deploy_clearly(cloud):
    with pytest.raises(DeployError) as failure:
        deploy_in_subprocess(FIXTURES / "unknown_type", "dev", cloud.endpoint_url)
    message = str(failure.value)
    assert "cannot create aws:s3/bucket:Bucket" in message
    assert "add it to localcloud/provider.py" in message
