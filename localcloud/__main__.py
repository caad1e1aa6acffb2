"""`python -m localcloud up [--stack dev] [--project-dir .]`: run the system until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from localcloud.embedded_cloud import EmbeddedCloud


def _up(project_dir: Path, stack: str, quiet: bool) -> None:
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    with EmbeddedCloud.start(project_dir, stack, echo=None if quiet else sys.stderr) as cloud:
        print(f"moto endpoint: {cloud.endpoint_url}   (export AWS_ENDPOINT_URL={cloud.endpoint_url})")
        for gateway in cloud.gateways.values():
            print(f"HTTP API {gateway.api.logical_name}: {gateway.url}")
        print(f"stack outputs: {project_dir / '.localcloud' / stack / 'outputs.json'}")
        print("running; Ctrl-C to stop", flush=True)
        reported: dict[str, int] = {}
        while not stopped.wait(1):
            # An instance that dies is replaced, as Lambda replaces an execution environment; say so.
            deaths = {name: s["deaths"] for name, s in cloud.functions.stats().items()} if cloud.functions else {}
            if any(count > reported.get(name, 0) for name, count in deaths.items()):
                print(f"function instances died and were replaced: {deaths}", file=sys.stderr)
                reported = deaths


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
