"""Reading Pulumi.yaml and Pulumi.<stack>.yaml the way the Pulumi CLI hands config to a program."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass
class StackSettings:
    project: str
    main: Path
    config: dict[str, str]


def _as_config_text(value: Any) -> str:
    # The CLI passes every value as a string; objects and lists as JSON.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def read_stack_settings(project_dir: Path, stack: str) -> StackSettings:
    project_file = project_dir / "Pulumi.yaml"
    if not project_file.exists():
        raise FileNotFoundError(f"{project_file} not found; is {project_dir} a Pulumi project?")
    project_doc = yaml.safe_load(project_file.read_text()) or {}
    project = project_doc["name"]
    config: dict[str, str] = {}
    for key, declared in (project_doc.get("config") or {}).items():
        # Project-level config declares defaults: `key: value` or `key: {default: value}`.
        is_spec = isinstance(declared, dict)
        value = declared.get("value", declared.get("default")) if is_spec else declared
        if value is not None:
            config[_full_key(project, key)] = _as_config_text(value)
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if stack_file.exists():
        stack_doc = yaml.safe_load(stack_file.read_text()) or {}
        for key, value in (stack_doc.get("config") or {}).items():
            if isinstance(value, dict) and set(value) == {"secure"}:
                raise ValueError(
                    f"{stack_file}: {key} is a secret; the embedded cloud cannot decrypt it, "
                    "give it a plain local value"
                )
            config[_full_key(project, key)] = _as_config_text(value)
    main = project_dir / (project_doc.get("main") or "")
    if main.is_dir():
        main = main / "__main__.py"
    return StackSettings(project=project, main=main, config=config)
