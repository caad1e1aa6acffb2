"""`pulumi up` on a fresh clone: the program says the layer is missing, and how to build it,
before Pulumi fails inside packaging or uploads a layer built from other requirements, or one
that lacks the model of a service a function now calls. And the trimmed SDK still builds those
services' clients exactly as the stock one does."""

import shutil
from pathlib import Path

import boto3
import botocore
import botocore.loaders
import botocore.session
import pulumi
import pytest
from botocore.exceptions import UnknownServiceError

from components.dependencies_layer import BUILT_FROM, REQUIREMENTS, aws_services_used, built_layer, recipe
from components.settings import read_stack_config
from scripts.build_layer import keep_only_services
from tests.infra.program import PROJECT_DIR, run_program


def test_a_missing_layer_is_refused_with_the_command_that_builds_it(tmp_path: Path) -> None:
    with pytest.raises(pulumi.RunError, match=r"missing.*`\./run layer`"):
        built_layer(str(tmp_path / "lambda-layer"))


def test_a_layer_built_from_other_requirements_is_refused(tmp_path: Path) -> None:
    (tmp_path / "python").mkdir()
    (tmp_path / BUILT_FROM).write_text("cloudevents==1.0\n")
    with pytest.raises(pulumi.RunError, match=r"other requirements.*`\./run layer`"):
        built_layer(str(tmp_path))


def test_a_layer_built_from_todays_requirements_is_packaged(tmp_path: Path) -> None:
    (tmp_path / "python").mkdir()
    (tmp_path / BUILT_FROM).write_text(recipe())
    assert built_layer(str(tmp_path)) == str(tmp_path)


def test_a_layer_built_before_a_function_called_a_new_service_is_refused(tmp_path: Path) -> None:
    lambdas = tmp_path / "lambdas"
    shutil.copytree(PROJECT_DIR / "lambdas", lambdas, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "layer" / "python").mkdir(parents=True)
    (tmp_path / "layer" / BUILT_FROM).write_text(recipe(REQUIREMENTS, lambdas))
    (lambdas / "inventory" / "reports.py").write_text('import boto3\n\ns3 = boto3.client("s3")\n')
    with pytest.raises(pulumi.RunError, match=r"other AWS services.*`\./run layer`"):
        built_layer(str(tmp_path / "layer"), REQUIREMENTS, lambdas)


def test_the_services_are_read_from_every_client_the_functions_build(tmp_path: Path) -> None:
    # stepfunctions: the outbox relay starts the orchestrated saga (sagaStyle orchestration).
    assert aws_services_used() == ["dynamodb", "events", "kms", "sns", "stepfunctions"]
    (tmp_path / "a.py").write_text('import boto3, botocore.session\nboto3.client("sqs")\n')
    (tmp_path / "b.py").write_text('s = botocore.session.get_session()\ns.create_client(service_name="sts")\n')
    assert aws_services_used(tmp_path) == ["sqs", "sts"]


def test_a_client_of_a_service_named_at_run_time_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('import os, boto3\nboto3.client(os.environ["SERVICE"])\n')
    with pytest.raises(ValueError, match=r"a\.py:2: name the AWS service as a literal"):
        aws_services_used(tmp_path)


def _session_reading(data: Path) -> botocore.session.Session:
    session = botocore.session.get_session()
    session.register_component("data_loader", botocore.loaders.Loader([str(data)], include_default_search_paths=False))
    return session


def test_the_trimmed_models_build_the_same_clients_and_no_others(tmp_path: Path) -> None:
    for package in (botocore, boto3):
        shutil.copytree(Path(package.__file__).parent / "data", tmp_path / package.__name__ / "data")
    keep_only_services(tmp_path, ["dynamodb", "events"])
    data = tmp_path / "botocore" / "data"
    assert not list(data.rglob("*.gz"))
    trimmed, stock = _session_reading(data), botocore.session.get_session()
    for region in ("us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"):
        for service in ("dynamodb", "events"):
            ours = trimmed.create_client(service, region_name=region, aws_access_key_id="a", aws_secret_access_key="b")
            theirs = stock.create_client(service, region_name=region, aws_access_key_id="a", aws_secret_access_key="b")
            assert ours.meta.endpoint_url == theirs.meta.endpoint_url
            assert ours.meta.service_model.operation_names == theirs.meta.service_model.operation_names
    assert trimmed.get_available_regions("dynamodb") == stock.get_available_regions("dynamodb")
    with pytest.raises(UnknownServiceError):
        trimmed.create_client("s3", region_name="us-east-1")


def test_the_program_refuses_to_deploy_without_the_layer(tmp_path: Path) -> None:
    project = read_stack_config(PROJECT_DIR, "dev").project
    with pytest.raises(pulumi.RunError, match=r"`\./run layer`"):
        run_program(config_overrides={f"{project}:dependenciesLayerPath": str(tmp_path / "not-built")})
