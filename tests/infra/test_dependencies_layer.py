"""`pulumi up` on a fresh clone: the program says the layer is missing, and how to build it,
before Pulumi fails inside packaging or uploads a layer built from other requirements."""

from pathlib import Path

import pulumi
import pytest

from components.dependencies_layer import BUILT_FROM, REQUIREMENTS, built_layer
from components.settings import read_stack_config
from tests.infra.program import PROJECT_DIR, run_program


def test_a_missing_layer_is_refused_with_the_command_that_builds_it(tmp_path: Path) -> None:
    with pytest.raises(pulumi.RunError, match=r"missing.*`\./run layer`"):
        built_layer(str(tmp_path / "lambda-layer"))


def test_a_layer_built_from_other_requirements_is_refused(tmp_path: Path) -> None:
    (tmp_path / "python").mkdir()
    (tmp_path / BUILT_FROM).write_text("cloudevents==1.0\n")
    with pytest.raises(pulumi.RunError, match=r"other requirements.*`\./run layer`"):
        built_layer(str(tmp_path))


def test_a_layer_built_from_todays_requirements_is_packaged(tmp_path: Path) -> None:
    (tmp_path / "python").mkdir()
    (tmp_path / BUILT_FROM).write_text(REQUIREMENTS.read_text())
    assert built_layer(str(tmp_path)) == str(tmp_path)


def test_the_program_refuses_to_deploy_without_the_layer(tmp_path: Path) -> None:
    project = read_stack_config(PROJECT_DIR, "dev").project
    with pytest.raises(pulumi.RunError, match=r"`\./run layer`"):
        run_program(config_overrides={f"{project}:dependenciesLayerPath": str(tmp_path / "not-built")})
