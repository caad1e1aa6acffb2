"""Build our dependencies layer (lambdas/requirements.txt) for Lambda's Linux x86_64 Python 3.11.

Run before `pulumi up` (`./run layer`); the platform component zips `build/lambda-layer` as the
layer, once it has checked that the layer was built from today's requirements (the copy this
script leaves beside the installed packages).
Wheels are taken for Lambda's platform, not this machine's, because jsonschema-rs is
compiled (its wheel is manylinux2014 x86_64, abi3, so it runs on Lambda's Python 3.11).
The layer ships its bytecode: /opt is read-only on Lambda, so a module without a .pyc is compiled
again at every cold start. Unchecked-hash .pyc files are used whatever mtimes the zip keeps.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from components.dependencies_layer import BUILT_FROM

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "build" / "lambda-layer" / "python"
REQUIREMENTS = ROOT / "lambdas" / "requirements.txt"


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
    compile_bytecode = [
        sys.executable, "-m", "compileall", "-q", "-j", "0",
        "--invalidation-mode", "unchecked-hash",
        str(TARGET),
    ]  # fmt: skip
    subprocess.run(compile_bytecode, check=True)
    shutil.copyfile(REQUIREMENTS, TARGET.parent / BUILT_FROM)
    print(f"layer built in {TARGET.parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
