"""Cost per million orders: one order of each saga path, every AWS request counted and priced.

    .venv/bin/python -m benchmarks.cost [--before FILE] [--save FILE] [--write-docs]

On a fresh embedded cloud with moto's request recorder on, warm-up orders first (so no figure
carries a cold start), then one order of each saga path (demo.scenarios), each recorded from its
POST until its saga is quiet (`playing`), counted by kind and priced at the list prices in
`prices` (`usage`), and printed by component (`report`). `--save` keeps the figures as JSON,
`--before` prints a saved run beside this one, `--write-docs` puts both in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from benchmarks.cost.playing import STOCK, measure, play_and_price, record_requests
from benchmarks.cost.report import CONFIRMED_PATH, Summary, detail, lines, markdown, summaries_from_json
from benchmarks.report import write_section
from demo.scenarios import SCENARIOS
from localcloud.provisioning.deployment import INSTANCE_VARIABLE
from saga_client import SagaTarget
from saga_client.operations import seed_stock

PROJECT_DIR = Path(__file__).resolve().parents[2]
WARM_UP_ORDERS = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--before", type=Path, help="figures saved by an earlier run (--save), shown beside")
    parser.add_argument("--save", type=Path, help="save this run's figures as JSON")
    parser.add_argument("--write-docs", action="store_true", help="also write the figures to docs/performance.md")
    parser.add_argument("--detail", action="store_true", help="also list a confirmed order's charges one by one")
    args = parser.parse_args()

    os.environ.setdefault(INSTANCE_VARIABLE, "cost")
    recording_path = record_requests(PROJECT_DIR, args.stack)

    from localcloud import EmbeddedCloud

    with EmbeddedCloud.start(PROJECT_DIR, stack=args.stack) as cloud:
        assert cloud.deployment is not None
        saga = SagaTarget.for_emulator(cloud.outputs, cloud.endpoint_url)
        seed_stock(saga, STOCK)
        memory_mb = max(f.memory_size for f in cloud.deployment.functions)
        # The warm-up: every function imported, and every instance a path uses warm. One order is not
        # enough: two messages for a function at once start a second instance, which has opened no
        # sealed field's data key yet (a KMS Decrypt). At steady state a data key seals 15 minutes of
        # orders (saga_events.sealing), so a warm order asks KMS nothing.
        for _ in range(WARM_UP_ORDERS):
            measure(cloud, saga, recording_path, SCENARIOS[0])
        usages = play_and_price(cloud, saga, recording_path, SCENARIOS)

    summaries = [Summary.of(usage) for usage in usages]
    happy = next(u for u in usages if u.scenario == CONFIRMED_PATH)
    before = summaries_from_json(json.loads(args.before.read_text())) if args.before else None
    print()
    print("\n".join(lines(summaries, happy, before, memory_mb)))
    if args.detail:
        print("\n".join(detail(happy)))
    if args.save:
        args.save.write_text(json.dumps([s.to_json() for s in summaries], indent=2) + "\n")
    if args.write_docs:
        command = "benchmarks.cost" + (f" --stack {args.stack}" if args.stack != "dev" else "")
        command += (f" --before {args.before}" if args.before else "") + " --write-docs"
        path = write_section("cost", markdown(summaries, happy, before, command, args.stack, memory_mb))
        print(f"wrote the cost section of {path.relative_to(PROJECT_DIR)}")


if __name__ == "__main__":
    main()
