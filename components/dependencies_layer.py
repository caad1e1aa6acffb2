"""The functions' dependencies layer: built by `./run layer`, packaged by the platform component.

Pulumi would fail deep inside packaging (or, worse, upload a stale layer) when the folder is
missing or was built from other requirements. The program checks first and says what to run.

The layer carries the AWS SDK with the models of only the services the functions call (found in
their code, below): botocore ships ~400 services' models, and every cold start lists all their
folders and parses the 1.2 MB endpoints.json when it builds its first client.
"""

import ast
from pathlib import Path

import pulumi

LAMBDAS_DIR = Path("lambdas")
REQUIREMENTS = LAMBDAS_DIR / "requirements.txt"
# scripts/build_layer.py records what it built from here, beside the `python/` folder.
BUILT_FROM = "requirements.txt"
_CLIENT_FACTORIES = {"client", "create_client"}  # boto3.client / Session.client / botocore create_client


def aws_services_used(lambdas_dir: Path = LAMBDAS_DIR) -> list[str]:
    """Every AWS service a function builds a client for: the first argument of each `client(...)`
    or `create_client(...)` call in the functions' code, which must be a literal name."""
    services = set()
    for source in sorted(lambdas_dir.rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in _CLIENT_FACTORIES:
                continue
            name = (
                node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "service_name"), None)
            )
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                raise ValueError(
                    f"{source}:{node.lineno}: name the AWS service as a literal, so the layer keeps its model"
                )
            services.add(name.value)
    return sorted(services)


def recipe(requirements: Path = REQUIREMENTS, lambdas_dir: Path = LAMBDAS_DIR) -> str:
    """What a layer is built from: the requirements, and the services whose models it keeps."""
    return requirements.read_text() + f"# AWS service models kept: {', '.join(aws_services_used(lambdas_dir))}\n"


def built_layer(path: str, requirements: Path = REQUIREMENTS, lambdas_dir: Path = LAMBDAS_DIR) -> str:
    """`path`, once it holds a layer built from today's requirements for today's functions."""
    folder = Path(path)
    how = "Build it with `./run layer` (README: Deploying for real), then run `pulumi up` again."
    if not (folder / "python").is_dir():
        raise pulumi.RunError(f"The functions' dependencies layer is missing: no {folder / 'python'}. {how}")
    built_from = folder / BUILT_FROM
    if not built_from.is_file() or built_from.read_text() != recipe(requirements, lambdas_dir):
        raise pulumi.RunError(
            f"The functions' dependencies layer in {folder} was built from other requirements than "
            f"{requirements}, or for other AWS services than the functions' code calls. {how}"
        )
    return path
