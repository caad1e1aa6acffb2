"""Soak: thousands of orders through one embedded cloud, against the emulator's own ceiling.

    .venv/bin/python -m benchmarks.soak [--orders 1000] [--concurrency 1 4 16] [--quick] [--write-docs]

In one run, on one fresh embedded cloud:

1. one happy-path order is recorded with moto's request recorder, from POST until the saga is
   quiet (`recording`), and reduced to its request mix, idle polls left out (`order_mix`);
2. the emulator's ceiling: that mix replayed many times, with fresh ids, from several threads
   against a fresh moto server with the program deployed and no functions (`ceiling`,
   `replay`); the embedded cloud's pollers are paused meanwhile so they do not compete;
3. `--orders` happy-path orders at each concurrency, each timed from POST to CONFIRMED
   (`orders`), moto's RSS read before and after;
4. the figures, last, each target of issue 7 beside its own (`report`); `--write-docs` also
   puts them in docs/performance.md. A missed target is a figure, not a failure.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.soak.ceiling import measure_ceiling
from benchmarks.soak.order_mix import OrderMix
from benchmarks.soak.orders import Phase, confirm_order, run_phase
from benchmarks.soak.processes import cpu_seconds, descendants, rss_kb, total_cpu_seconds
from benchmarks.soak.recording import RECORDING_VARIABLE, GarbledRecording, Recording, record_one_order
from benchmarks.soak.report import SoakFigures, write_docs
from localcloud.provisioning.deployment import INSTANCE_VARIABLE, state_dir
from saga_client import SagaTarget
from saga_client.operations import seed_stock

if TYPE_CHECKING:
    from localcloud import EmbeddedCloud

PROJECT_DIR = Path(__file__).resolve().parents[2]
SKU = "SOAK-MUG"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1000, help="orders at each concurrency (default 1000)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16], help="default: 1 4 16")
    parser.add_argument("--replays", type=int, default=200, help="replays of one order for the ceiling")
    parser.add_argument("--replay-threads", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="a smoke test: 50 orders each, 40 replays")
    parser.add_argument("--write-docs", action="store_true", help="also write the figures to docs/performance.md")
    parser.add_argument("--stack", default="dev")
    args = parser.parse_args()
    if args.quick:
        args.orders, args.replays = 50, 40

    # An instance of its own, so a running `./run up` keeps its state directory.
    os.environ.setdefault(INSTANCE_VARIABLE, "soak")
    directory = state_dir(PROJECT_DIR, args.stack)
    directory.mkdir(parents=True, exist_ok=True)
    recording_path = directory / "moto-recording.jsonl"
    # moto reads it when it starts: set before the embedded cloud starts its moto server.
    os.environ[RECORDING_VARIABLE] = str(recording_path)

    from localcloud import EmbeddedCloud

    started = time.monotonic()
    with EmbeddedCloud.start(PROJECT_DIR, stack=args.stack) as cloud:
        moto_pid = cloud.moto_process_id
        assert moto_pid is not None
        print(f"embedded cloud up in {time.monotonic() - started:.1f}s", flush=True)
        saga = SagaTarget.for_emulator(cloud.outputs, cloud.endpoint_url)
        seed_stock(saga, {SKU: args.orders * len(args.concurrency) + 10})
        warmup = confirm_order(saga, SKU, first_look=0.2)  # every function imported and warm
        print(f"warm-up order: {warmup.problem or f'confirmed in {warmup.latency:.2f}s'}", flush=True)

        recording = _record(saga, cloud.endpoint_url, recording_path)
        mix = OrderMix.of(recording)
        print(f"one order asks moto {mix.describe()}", flush=True)
        with _pollers_paused(cloud):
            ceiling = measure_ceiling(PROJECT_DIR, args.stack, recording, mix, SKU, args.replays, args.replay_threads)
        print(f"emulator ceiling: {ceiling.orders_per_second:.2f} orders/s", flush=True)

        rss_start = rss_kb(moto_pid)
        phases: list[Phase] = []
        for concurrency in args.concurrency:
            moto_cpu, functions_cpu, own_cpu = cpu_seconds(moto_pid), _functions_cpu(moto_pid), time.process_time()
            phase = run_phase(saga, SKU, args.orders, concurrency)
            phase.moto_cpu_seconds = cpu_seconds(moto_pid) - moto_cpu
            phase.functions_cpu_seconds = sum(
                spent - functions_cpu.get(pid, 0.0) for pid, spent in _functions_cpu(moto_pid).items()
            )
            phase.host_cpu_seconds = time.process_time() - own_cpu
            phases.append(phase)
            print(f"concurrency {concurrency} done; moto RSS {rss_kb(moto_pid) / 1024:.0f} MB", flush=True)
        rss_end = rss_kb(moto_pid)

    command = "python -m benchmarks.soak" + (" --quick" if args.quick else f" --orders {args.orders}")
    figures = SoakFigures(command, args.orders, mix, ceiling, phases, rss_start, rss_end)
    if args.write_docs:
        docs = PROJECT_DIR / "docs" / "performance.md"
        write_docs(docs, figures.markdown())
        print(f"wrote the Soak section of {docs.relative_to(PROJECT_DIR)}")
    print()
    print("\n".join(figures.lines()))


def _record(saga: SagaTarget, endpoint_url: str, path: Path, attempts: int = 3) -> Recording:
    for _ in range(attempts - 1):
        try:
            return record_one_order(saga, endpoint_url, path, SKU)
        except GarbledRecording as error:
            print(f"recording again: {error}", flush=True)
    return record_one_order(saga, endpoint_url, path, SKU)


def _functions_cpu(moto_pid: int) -> dict[int, float]:
    """CPU spent so far by each function instance: every process below this one but moto."""
    return {pid: total_cpu_seconds([pid]) for pid in descendants(os.getpid()) if pid != moto_pid}


@contextlib.contextmanager
def _pollers_paused(cloud: EmbeddedCloud) -> Iterator[None]:
    assert cloud.deployment is not None and cloud.functions is not None
    polling = [f.name for f in cloud.deployment.functions if cloud.deployment.mappings_for(f.name)]
    for name in polling:
        cloud.functions.set_enabled(name, False)
    try:
        yield
    finally:
        for name in polling:
            cloud.functions.set_enabled(name, True)


if __name__ == "__main__":
    main()
