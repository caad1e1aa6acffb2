"""`python -m localcloud up [--stack dev] [--project-dir .]`: any Pulumi project on the embedded cloud until Ctrl-C.

Project-agnostic; this project's `./run up` (demo/up.py) also seeds its stock and prints a request to try.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from localcloud.embedded_cloud import EmbeddedCloud
from localcloud.provisioning.deployment import state_dir


def _up(project_dir: Path, stack: str, quiet: bool) -> None:
    with EmbeddedCloud.start(project_dir, stack, echo=None if quiet else sys.stderr) as cloud:
        print(f"moto endpoint: {cloud.endpoint_url}   (export AWS_ENDPOINT_URL={cloud.endpoint_url})")
        for gateway in cloud.gateways.values():
            print(f"HTTP API {gateway.api.logical_name}: {gateway.url}")
        print(f"stack outputs: {state_dir(project_dir, stack) / 'outputs.json'}")
        print("running; Ctrl-C to stop", flush=True)
        cloud.serve_until_stopped(sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localcloud")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="deploy into the embedded cloud and keep it running")
    up.add_argument("--stack", default="dev")
    up.add_argument("--project-dir", type=Path, default=Path.cwd())
    up.add_argument("--quiet", action="store_true", help="do not echo function logs")
    args = parser.parse_args(argv)
    if args.command == "up":
        _up(args.project_dir.resolve(), args.stack, args.quiet)


if __name__ == "__main__":
    main()
