"""What the functions log is a stack setting: everything in dev, warnings and a sample in production."""

import pytest

from tests.infra.program import RecordingMocks, run_program


@pytest.fixture(scope="module")
def production() -> RecordingMocks:
    return run_program("prod")


def logging_of(program: RecordingMocks) -> set[tuple[str | None, str | None]]:
    variables = [f.inputs["environment"]["variables"] for f in program.of_type("aws:lambda/function:Function")]
    return {(v.get("POWERTOOLS_LOG_LEVEL"), v.get("POWERTOOLS_LOGGER_SAMPLE_RATE")) for v in variables}


def test_every_dev_function_logs_at_info_with_no_sampling(program):
    assert logging_of(program) == {("INFO", None)}


def test_every_production_function_logs_warnings_and_one_invocation_in_a_hundred_in_full(production):
    assert logging_of(production) == {("WARN", "0.01")}


def system_logging_of(program: RecordingMocks) -> set[tuple[str | None, str | None]]:
    configs = [f.inputs["loggingConfig"] for f in program.of_type("aws:lambda/function:Function")]
    return {(c.get("logFormat"), c.get("systemLogLevel")) for c in configs}


def test_lambdas_own_start_and_report_lines_are_written_in_dev_and_left_out_in_production(program, production):
    # Lambda filters its own lines by level in the JSON log format only.
    assert system_logging_of(program) == {("JSON", "INFO")}
    assert system_logging_of(production) == {("JSON", "WARN")}
