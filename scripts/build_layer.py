"""Build our dependencies layer (lambdas/requirements.txt) for Lambda's Linux x86_64 Python 3.11.

Run before `pulumi up` (`./run layer`); the platform component zips `build/lambda-layer` as the
layer, once it has checked that the layer was built from today's requirements for the AWS services
today's functions call (the recipe this script leaves beside the installed packages).
Wheels are taken for Lambda's platform, not this machine's, because jsonschema-rs is
compiled (its wheel is manylinux2014 x86_64, abi3, so it runs on Lambda's Python 3.11).

What a cold start reads is trimmed to what the functions use (benchmarks.cold_start measures it):
- botocore's and boto3's models only for the services the functions build clients for: botocore
  lists every service folder (~400) and parses the whole 1.2 MB endpoints.json when it builds its
  first client; endpoints.json keeps every partition and region, and only those services.
- the models decompressed: botocore's loader tries `.json` before `.json.gz` (loaders.py,
  `_JSON_OPEN_METHODS`), so nothing is gunzipped at init.
- the bytecode: /opt is read-only on Lambda, so a module without a .pyc is compiled again at every
  cold start. Unchecked-hash .pyc files are used whatever mtimes the zip keeps.
"""

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

from components.dependencies_layer import BUILT_FROM, aws_services_used, recipe

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "build" / "lambda-layer" / "python"
REQUIREMENTS = ROOT / "lambdas" / "requirements.txt"


def keep_only_services(target: Path, services: list[str]) -> None:
    """Drop the models of every service no function calls, decompress the rest."""
    for data in (target / "botocore" / "data", target / "boto3" / "data"):
        for folder in data.iterdir():
            if folder.is_dir() and folder.name not in services:
                shutil.rmtree(folder)
    data = target / "botocore" / "data"
    for packed in data.rglob("*.json.gz"):
        packed.with_suffix("").write_bytes(gzip.decompress(packed.read_bytes()))
        packed.unlink()
    endpoints_file = data / "endpoints.json"
    endpoints = json.loads(endpoints_file.read_text())
    for partition in endpoints["partitions"]:
        partition["services"] = {name: v for name, v in partition["services"].items() if name in services}
    endpoints_file.write_text(json.dumps(endpoints, separators=(",", ":")))


def main() -> int:
    shutil.rmtree(TARGET.parent, ignore_errors=True)
    TARGET.mkdir(parents=True)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet",
        "--requirement", str(REQUIREMENTS),
        "--target", str(TARGET),
        "--platform", "manylinux2014_x86_64",
        "--implementation", "cp",
        "--python-version", "3.11",
        "--only-binary=:all:",
        "--no-compile",
    ]  # fmt: skip
    subprocess.run(command, check=True)
    services = aws_services_used(ROOT / "lambdas")
    keep_only_services(TARGET, services)
    compile_bytecode = [
        sys.executable, "-m", "compileall", "-q", "-j", "0",
        "--invalidation-mode", "unchecked-hash",
        str(TARGET),
    ]  # fmt: skip
    subprocess.run(compile_bytecode, check=True)
    (TARGET.parent / BUILT_FROM).write_text(recipe(REQUIREMENTS, ROOT / "lambdas"))
    print(f"layer built in {TARGET.parent} (AWS service models: {', '.join(services)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
