"""The emulator's own ceiling: how many orders' worth of requests moto serves per second at best.

A fresh moto server gets the same program deployed and no function host, so nothing polls
and no handler runs; one order's request mix (`order_mix`) is then replayed many times from
several threads (`replay`). Replays per second is the most orders per second the emulator
could carry, whatever the functions do.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.soak.order_mix import Consume, OrderMix
from benchmarks.soak.processes import cpu_seconds
from benchmarks.soak.recording import Recording
from benchmarks.soak.replay import ReplayClient, ReplayPlan, StreamCursors, Tally
from localcloud.emulator.server import MotoServer
from localcloud.provisioning.deploy import deploy_in_subprocess
from localcloud.provisioning.deployment import INSTANCE_VARIABLE, state_dir
from saga_client import SagaTarget
from saga_client.operations import queue_depth, read_item, seed_stock


@dataclass
class Ceiling:
    replays: int
    threads: int
    seconds: float
    tally: Tally
    # The warm-up replay's order, read back from the replay server's orders table.
    replayed_order_status: str | None
    warmup_errors: Tally
    left_in_queues: int
    moto_cpu_seconds: float
    client_cpu_seconds: float
    queues: list[str] = field(default_factory=list)

    @property
    def orders_per_second(self) -> float:
        return self.replays / self.seconds if self.seconds else 0.0

    @property
    def requests_per_second(self) -> float:
        return sum(self.tally.requests.values()) / self.seconds if self.seconds else 0.0


def measure_ceiling(
    project_dir: Path,
    stack: str,
    recording: Recording,
    mix: OrderMix,
    sku: str,
    replays: int,
    threads: int,
) -> Ceiling:
    # A state directory of its own: the embedded cloud's functions run from theirs.
    with _instance(f"{os.environ.get(INSTANCE_VARIABLE) or stack}-ceiling"):
        directory = state_dir(project_dir, stack)
        directory.mkdir(parents=True, exist_ok=True)
        with MotoServer(log_file=directory / "moto.log") as server:
            deployment = deploy_in_subprocess(project_dir, stack, server.endpoint_url)
            target = SagaTarget.for_emulator(deployment.outputs, server.endpoint_url)
            return _measure(server, target, recording, mix, sku, replays, threads)


def _measure(
    server: MotoServer,
    target: SagaTarget,
    recording: Recording,
    mix: OrderMix,
    sku: str,
    replays: int,
    threads: int,
) -> Ceiling:
    seed_stock(target, {sku: 10 * (replays + 1)})
    plan = ReplayPlan(mix, recording.endpoint_url, server.endpoint_url)
    cursors = StreamCursors(server.endpoint_url, mix.stream_tables)

    # One replay alone first: it must place an order that ends CONFIRMED, without errors.
    warmup = ReplayClient(plan, cursors)
    ids = warmup.replay()
    warmup.close()
    order_id = ids.new_id(recording.order_id)
    order = read_item(target, "order", "orders", {"pk": f"ORDER#{order_id}", "sk": "ORDER"})

    assert server.process_id is not None
    moto_cpu, client_cpu = cpu_seconds(server.process_id), time.process_time()
    tally, seconds = _replay_many(plan, cursors, replays, threads)
    moto_cpu, client_cpu = cpu_seconds(server.process_id) - moto_cpu, time.process_time() - client_cpu

    queues = sorted({plan.queue_url(step.queue_url) for step in mix.steps if isinstance(step, Consume)})
    return Ceiling(
        replays=tally.replays,
        threads=threads,
        seconds=seconds,
        tally=tally,
        replayed_order_status=None if order is None else order["status"],
        warmup_errors=warmup.tally,
        left_in_queues=sum(queue_depth(target, url) for url in queues),
        moto_cpu_seconds=moto_cpu,
        client_cpu_seconds=client_cpu,
        queues=queues,
    )


def _replay_many(plan: ReplayPlan, cursors: StreamCursors, replays: int, threads: int) -> tuple[Tally, float]:
    remaining = iter(range(replays))
    take = threading.Lock()
    clients = [ReplayClient(plan, cursors) for _ in range(threads)]

    def work(replay_client: ReplayClient) -> None:
        while True:
            with take:
                if next(remaining, None) is None:
                    return
            replay_client.replay()

    workers = [threading.Thread(target=work, args=(c,), name=f"replay-{i}") for i, c in enumerate(clients)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.monotonic() - started
    total = Tally()
    for replay_client in clients:
        replay_client.close()
        total.add(replay_client.tally)
    return total, seconds


@contextlib.contextmanager
def _instance(name: str) -> Iterator[None]:
    previous = os.environ.get(INSTANCE_VARIABLE)
    os.environ[INSTANCE_VARIABLE] = name
    try:
        yield
    finally:
        if previous is None:
            del os.environ[INSTANCE_VARIABLE]
        else:
            os.environ[INSTANCE_VARIABLE] = previous
