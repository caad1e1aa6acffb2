"""What every resource handler gets: clients for the embedded cloud, naming, a record book."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localcloud.emulator.clients import client
from localcloud.emulator.identity import ACCOUNT_ID, REGION
from localcloud.provisioning.naming import physical_name

Inputs = dict[str, Any]
State = dict[str, Any]
Handler = Callable[["Provisioner", str, Inputs], tuple[str, State]]


class Provisioner:
    """Shared by all handlers; Pulumi calls them from several threads at once."""

    def __init__(self, endpoint_url: str, stack: str, project_dir: Path) -> None:
        self.endpoint_url = endpoint_url
        self.stack = stack
        self.project_dir = project_dir
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.records: dict[str, list[dict[str, Any]]] = {}

    def client(self, service: str) -> Any:
        # boto3 clients are thread-safe to use but not to create.
        with self._lock:
            if service not in self._clients:
                self._clients[service] = client(service, self.endpoint_url)
            return self._clients[service]

    def name(
        self,
        inputs: Inputs,
        logical_name: str,
        type_token: str,
        max_length: int,
        *,
        name_key: str = "name",
        suffix: str = "",
    ) -> str:
        return physical_name(
            inputs,
            logical_name,
            type_token,
            max_length,
            name_key=name_key,
            suffix=suffix,
            stack=self.stack,
        )

    def record(self, kind: str, entry: dict[str, Any]) -> None:
        with self._lock:
            self.records.setdefault(kind, []).append(entry)


def arn(service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT_ID) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def as_int(value: Any) -> int | None:
    # Pulumi's wire format carries every number as a float.
    return None if value is None else int(value)


def tag_list(inputs: Inputs, key_name: str = "Key", value_name: str = "Value") -> list[dict[str, str]]:
    tags = inputs.get("tags") or {}
    return [{key_name: k, value_name: str(v)} for k, v in tags.items()]


def drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
