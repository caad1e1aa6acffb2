"""Runs the real Pulumi program under Pulumi's mocks and records every resource it declares."""

import functools
import runpy
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.settings import read_stack_config
from localcloud.provisioning.deploy import stand_in_layer

PROJECT_DIR = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass
class DeclaredResource:
    type: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


class RecordingMocks(pulumi.runtime.Mocks):
    """Gives each resource plausible ids and ARNs, and keeps what the program asked for."""

    def __init__(self) -> None:
        self.resources: list[DeclaredResource] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        physical = args.inputs.get("name") or f"{args.name}-1234567"
        service, kind = args.typ.split(":")[1].split("/")[0], args.typ.split(":")[-1]
        outputs = {**args.inputs, "name": physical}
        arn = f"arn:aws:{_arn_service(service)}:{REGION}:{ACCOUNT}:{kind.lower()}/{physical}"
        outputs.setdefault("arn", arn)
        if args.typ == "aws:sqs/queue:Queue":
            outputs["url"] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{physical}"
            outputs["arn"] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{physical}"
        if args.typ == "aws:dynamodb/table:Table":
            outputs["arn"] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{physical}"
            if args.inputs.get("streamEnabled"):
                outputs["streamArn"] = f"{outputs['arn']}/stream/2026-01-01T00:00:00.000"
        if args.typ == "aws:cloudwatch/logGroup:LogGroup":
            outputs["arn"] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{physical}"
        if args.typ == "aws:cloudwatch/eventBus:EventBus":
            outputs["arn"] = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{physical}"
        if args.typ == "aws:cloudwatch/eventRule:EventRule":
            bus = args.inputs.get("eventBusName", "default")
            outputs["arn"] = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{bus}/{physical}"
        if args.typ == "aws:iam/role:Role":
            outputs["arn"] = f"arn:aws:iam::{ACCOUNT}:role/{physical}"
        if args.typ == "aws:lambda/function:Function":
            outputs["arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{physical}"
        if args.typ == "aws:sfn/stateMachine:StateMachine":
            outputs["arn"] = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{physical}"
        if args.typ == "aws:apigatewayv2/api:Api":
            outputs["apiEndpoint"] = f"https://{physical}.execute-api.{REGION}.amazonaws.com"
            outputs["executionArn"] = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{physical}"
        self.resources.append(DeclaredResource(args.typ, args.name, dict(args.inputs), outputs))
        return f"{physical}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
        return {"accountId": ACCOUNT, "region": REGION, "name": REGION}, []

    def of_type(self, type_: str) -> list[DeclaredResource]:
        return [r for r in self.resources if r.type == type_]


def _arn_service(service: str) -> str:
    return {"cloudwatch": "events", "lambda": "lambda", "apigatewayv2": "apigateway"}.get(service, service)


@functools.cache
def _stand_in_layer(project_dir: Path) -> Path:
    return stand_in_layer(Path(tempfile.mkdtemp(prefix="stand-in-layer-")), project_dir)


def stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    return read_stack_config(project_dir, stack).config


def run_program(
    stack: str = "dev", project_dir: Path = PROJECT_DIR, config_overrides: dict[str, str] | None = None
) -> RecordingMocks:
    """Run the program in `project_dir` as `pulumi up` would, recording what it declares.

    Another project directory (a copy of this one with a context added) brings its own
    components and contracts: they are imported afresh from it and forgotten afterwards,
    so the rest of the session keeps this project's. `config_overrides` sets config keys
    (full names, values as the CLI passes them) over the stack file's.
    """
    mocks = RecordingMocks()
    config = read_stack_config(project_dir, stack)
    # The program refuses to package a missing layer; a test deploys without building it.
    layer = {f"{config.project}:dependenciesLayerPath": str(_stand_in_layer(project_dir))}
    pulumi.runtime.set_all_config({**config.config, **layer, **(config_overrides or {})})
    pulumi.runtime.set_mocks(mocks, project=config.project, stack=stack, preview=False)
    if project_dir == PROJECT_DIR:
        if str(PROJECT_DIR) not in sys.path:
            sys.path.insert(0, str(PROJECT_DIR))
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(config.main), run_name="__main__")))
    else:
        with importing_from([project_dir], packages={"components", "contracts"}):
            _sync_await(run_pulumi_func(lambda: runpy.run_path(str(config.main), run_name="__main__")))
    return mocks


ORCHESTRATED = {"order-saga:sagaStyle": "orchestration"}


@functools.cache
def orchestrated_program(stack: str = "dev") -> RecordingMocks:
    """The stack as `sagaStyle: orchestration` deploys it (run once per session)."""
    return run_program(stack, config_overrides=ORCHESTRATED)


@contextmanager
def importing_from(directories: list[Path], packages: set[str]) -> Iterator[None]:
    """While inside, `packages` are imported from `directories` first; afterwards the modules
    imported before are back, and those imported inside are forgotten."""
    saved = {name: module for name, module in sys.modules.items() if name.split(".")[0] in packages}
    for name in saved:
        del sys.modules[name]
    paths = [str(directory) for directory in directories]
    sys.path[:0] = paths
    try:
        yield
    finally:
        for path in paths:
            sys.path.remove(path)
        for name in [name for name in sys.modules if name.split(".")[0] in packages]:
            del sys.modules[name]
        sys.modules.update(saved)
