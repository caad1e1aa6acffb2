"""Run the Pulumi program against the embedded cloud and write down what it deployed.

`python -m localcloud.provisioning.deploy <project_dir> --stack dev --endpoint-url URL` does the
same in a fresh process, which keeps Pulumi's process-global state out of the caller.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import runpy
import subprocess
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.dependencies_layer import BUILT_FROM, LAMBDAS_DIR, REQUIREMENTS, recipe
from components.settings import read_stack_config
from localcloud.provisioning import code_archives
from localcloud.provisioning.deployment import (
    DeployedFunction,
    Deployment,
    EventSourceMappingSpec,
    HttpApiSpec,
    HttpRoute,
    state_dir,
)
from localcloud.provisioning.provider import (
    EmbeddedCloudProvider,
    ResourceCreationError,
    UnsupportedResourceError,
)
from localcloud.provisioning.resources.http_api import HTTP_API_INTEGRATION_TIMEOUT_MS, api_endpoint

_REPO_ROOT = Path(__file__).resolve().parents[2]
_ERROR_MARKER = "LOCALCLOUD_DEPLOY_ERROR:"


class DeployError(RuntimeError):
    pass


def deploy(project_dir: Path, stack: str, endpoint_url: str) -> Deployment:
    """Deploy the program in `project_dir` into the moto server at `endpoint_url`."""
    project_dir = project_dir.resolve()
    stack_config = read_stack_config(project_dir, stack)
    provider = EmbeddedCloudProvider(endpoint_url, stack, project_dir)
    layer = stand_in_layer(state_dir(project_dir, stack) / "dependencies-layer", project_dir)
    layer_path = {f"{stack_config.project}:dependenciesLayerPath": str(layer)}
    # Config handed over as the Pulumi CLI hands it to a program (PULUMI_CONFIG) wins over the stack file.
    overrides = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")
    pulumi.runtime.set_all_config({**stack_config.config, **layer_path, **overrides})
    pulumi_settings.reset_options(project=stack_config.project, stack=stack, preview=False)
    pulumi.runtime.set_mocks(provider, project=stack_config.project, stack=stack, preview=False)
    with _inside(project_dir):
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(stack_config.main), run_name="__main__")))
        outputs = _resolved_outputs()
    deployment = _assemble(provider.provisioner.records, project_dir, stack_config.project, stack, endpoint_url)
    deployment.outputs = outputs
    directory = state_dir(project_dir, stack)
    deployment.save(directory / "deployment.json")
    write_outputs(directory / "outputs.json", outputs)
    return deployment


def stand_in_layer(folder: Path, project_dir: Path) -> Path:
    """An empty dependencies layer for the program to package: the embedded cloud's functions import
    their dependencies from this project's .venv, so `./run layer` need not have run."""
    (folder / "python").mkdir(parents=True, exist_ok=True)
    if (project_dir / REQUIREMENTS).is_file():  # a test's small program may have no layer at all
        (folder / BUILT_FROM).write_text(recipe(project_dir / REQUIREMENTS, project_dir / LAMBDAS_DIR))
    return folder


def write_outputs(path: Path, outputs: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(outputs, indent=2) + "\n")


@contextmanager
def _inside(project_dir: Path) -> Iterator[None]:
    # Pulumi runs the program with the project as cwd and first on sys.path.
    previous_cwd = Path.cwd()
    sys.path.insert(0, str(project_dir))
    os.chdir(project_dir)
    try:
        yield
    finally:
        os.chdir(previous_cwd)
        sys.path.remove(str(project_dir))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _resolved_outputs() -> dict[str, Any]:
    root = pulumi_settings.get_root_resource()
    exported: dict[str, Any] = getattr(root, "outputs", {})
    return {name: _plain(_sync_await(pulumi.Output.from_input(value).future())) for name, value in exported.items()}


def _function_name(reference: str) -> str:
    # A function is referenced by name, ARN or qualified ARN.
    match = re.search(r"function:([^:/]+)", reference)
    return match.group(1) if match else reference


def _assemble(
    records: dict[str, list[dict[str, Any]]],
    project_dir: Path,
    project: str,
    stack: str,
    endpoint_url: str,
) -> Deployment:
    functions_dir = state_dir(project_dir, stack) / "functions"
    functions: list[DeployedFunction] = []
    for record in records.get("functions", []):
        code_dir = functions_dir / record["name"]
        code_archives.materialize(record["code"], code_dir)
        fields = {k: v for k, v in record.items() if k != "code"}
        functions.append(DeployedFunction(**fields, code_dir=str(code_dir)))
    known = {f.name for f in functions}
    mappings = []
    for record in records.get("event_source_mappings", []):
        function = _function_name(record["function"])
        if function not in known:
            raise DeployError(f"EventSourceMapping '{record['logical_name']}': no function {function}")
        mappings.append(EventSourceMappingSpec(**{**record, "function": function}))
    return Deployment(
        project=project,
        stack=stack,
        project_dir=str(project_dir),
        endpoint_url=endpoint_url,
        outputs={},
        functions=functions,
        event_source_mappings=mappings,
        http_apis=_http_apis(records, known),
    )


def _http_apis(records: dict[str, list[dict[str, Any]]], functions: set[str]) -> list[HttpApiSpec]:
    integrations = {i["id"]: i for i in records.get("http_integrations", [])}
    authorizers = {a["id"]: a for a in records.get("http_authorizers", [])}
    apis = []
    for api in records.get("http_apis", []):
        routes = []
        for route in records.get("http_routes", []):
            target = route.get("target") or ""
            if route["api_id"] != api["id"] or not target.startswith("integrations/"):
                continue
            integration = integrations.get(target.removeprefix("integrations/"))
            if integration is None:
                raise DeployError(f"route {route['route_key']}: unknown target {target}")
            if integration["payload_format"] != "2.0":
                raise DeployError(
                    f"route {route['route_key']}: integration uses payload format "
                    f"{integration['payload_format']}; the local gateway speaks 2.0 only "
                    "(set payload_format_version='2.0')"
                )
            function = _function_name(integration.get("uri") or "")
            if function not in functions:
                raise DeployError(f"route {route['route_key']}: no function {function}")
            authorizer: dict[str, Any] = {}
            if route.get("authorization_type") == "JWT":
                authorizer = authorizers.get(route.get("authorizer_id") or "") or {}
                if not authorizer:
                    raise DeployError(f"route {route['route_key']}: unknown authorizer {route.get('authorizer_id')}")
            routes.append(
                HttpRoute(
                    route_key=route["route_key"],
                    function=function,
                    timeout_ms=integration.get("timeout_ms") or HTTP_API_INTEGRATION_TIMEOUT_MS,
                    authorization_type=route.get("authorization_type") or "NONE",
                    jwt_issuer=authorizer.get("issuer"),
                    jwt_audiences=authorizer.get("audiences", []),
                    identity_source=authorizer.get("identity_source"),
                    authorization_scopes=route.get("authorization_scopes") or [],
                )
            )
        stages = [s["name"] for s in records.get("http_stages", []) if s["api_id"] == api["id"]]
        apis.append(
            HttpApiSpec(
                logical_name=api["logical_name"],
                id=api["id"],
                name=api["name"],
                api_endpoint=api_endpoint(api["id"]),
                stages=stages,
                routes=routes,
            )
        )
    return apis


def deploy_in_subprocess(project_dir: Path, stack: str, endpoint_url: str) -> Deployment:
    """`deploy` in a fresh interpreter; failures carry the program's real message."""
    project_dir = project_dir.resolve()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(_REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "localcloud.provisioning.deploy",
            str(project_dir),
            "--stack",
            stack,
            "--endpoint-url",
            endpoint_url,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if completed.returncode != 0:
        output = completed.stdout + completed.stderr
        messages = [
            line.removeprefix(_ERROR_MARKER).strip() for line in output.splitlines() if line.startswith(_ERROR_MARKER)
        ]
        detail = messages[-1] if messages else output[-4000:]
        raise DeployError(f"deploying {project_dir.name} ({stack}) failed: {detail}")
    return Deployment.load(state_dir(project_dir, stack) / "deployment.json")


def _most_telling(error: BaseException) -> BaseException:
    # Pulumi re-raises RPC failures "from" themselves, so the chain can be a cycle.
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and not any(current is s for s in seen):
        if isinstance(current, ResourceCreationError | UnsupportedResourceError):
            return current
        seen.append(current)
        current = current.__cause__
    return error


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="deploy a Pulumi program into the embedded cloud")
    parser.add_argument("project_dir", type=Path)
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--endpoint-url", required=True)
    args = parser.parse_args(argv)
    try:
        deployment = deploy(args.project_dir, args.stack, args.endpoint_url)
    except Exception as error:
        cause = _most_telling(error)
        traceback.print_exc()
        print(f"{_ERROR_MARKER} {type(cause).__name__}: {cause}".replace("\n", " "), flush=True)
        sys.stderr.flush()
        # Pulumi's executor threads can keep a failed interpreter from exiting.
        os._exit(1)
    print(json.dumps({"functions": len(deployment.functions)}), flush=True)


if __name__ == "__main__":
    main()
