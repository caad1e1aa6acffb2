import pytest

from tests.infra.program import RecordingMocks, run_program


@pytest.fixture(scope="session")
def program() -> RecordingMocks:
    return run_program("dev")
