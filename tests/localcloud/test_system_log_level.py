"""Lambda's system log level (LoggingConfig.SystemLogLevel): at WARN its START/END/REPORT lines are
not written to the function's log, yet every invocation and its duration stay in its metrics, as
Lambda's Invocations and Duration metrics do whatever the log level."""

import json

import pytest

from localcloud.functions.instance import FunctionLog

INVOCATION = [
    "START RequestId: 5f0c-1 Version: $LATEST",
    '{"level":"WARNING","message":"order already confirmed"}',
    "END RequestId: 5f0c-1",
    "REPORT RequestId: 5f0c-1\tDuration: 12.50 ms\tMemory Size: 512 MB",
]


def _write_one_invocation(log: FunctionLog) -> tuple[list[str], list[dict]]:
    for line in INVOCATION:
        log.write("order-worker#1", line)
    metrics = [json.loads(line) for line in log.metrics_path.read_text().splitlines()]
    return log.path.read_text().splitlines(), metrics


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_at_info_lambdas_own_lines_are_logged(tmp_path, level):
    lines, metrics = _write_one_invocation(FunctionLog(tmp_path / "fn.log", None, level))

    assert lines == INVOCATION
    assert metrics == [{"requestId": "5f0c-1", "durationMs": 12.5}]


def test_at_warn_only_the_functions_own_lines_are_logged_and_the_invocation_is_still_counted(tmp_path):
    lines, metrics = _write_one_invocation(FunctionLog(tmp_path / "fn.log", None, "WARN"))

    assert lines == ['{"level":"WARNING","message":"order already confirmed"}']
    assert metrics == [{"requestId": "5f0c-1", "durationMs": 12.5}]
