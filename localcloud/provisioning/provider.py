"""A Pulumi mock provider that really creates each declared resource in the moto server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from localcloud.emulator.identity import ACCOUNT_ID, PARTITION, REGION
from localcloud.provisioning.resources import HANDLERS, Provisioner


class UnsupportedResourceError(RuntimeError):
    pass


class ResourceCreationError(RuntimeError):
    pass


_CALLER_IDENTITY = {
    "accountId": ACCOUNT_ID,
    "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/localcloud",
    "userId": "AIDALOCALCLOUD",
    "id": ACCOUNT_ID,
}

_CALLS: dict[str, dict[str, Any]] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _CALLER_IDENTITY,
    "aws:index/getRegion:getRegion": {
        "name": REGION,
        "region": REGION,
        "id": REGION,
        "endpoint": f"ec2.{REGION}.amazonaws.com",
        "description": "US East (N. Virginia)",
    },
    "aws:index/getPartition:getPartition": {
        "partition": PARTITION,
        "id": PARTITION,
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
    },
}


class EmbeddedCloudProvider(pulumi.runtime.Mocks):
    """Turns every `new_resource` into real API calls against the embedded cloud."""

    def __init__(self, endpoint_url: str, stack: str, project_dir: Path) -> None:
        self.provisioner = Provisioner(endpoint_url, stack, project_dir)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        if not args.custom:
            # Component resources have no cloud counterpart.
            return None, {}
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider", dict(args.inputs)
        handler = HANDLERS.get(args.typ)
        if handler is None:
            raise UnsupportedResourceError(
                f"the embedded cloud cannot create {args.typ} ('{args.name}'); add it to localcloud/provider.py"
            )
        try:
            return handler(self.provisioner, args.name, dict(args.inputs))
        except UnsupportedResourceError:
            raise
        except Exception as error:
            raise ResourceCreationError(
                f"creating {args.typ} '{args.name}' in the embedded cloud failed: {type(error).__name__}: {error}"
            ) from error

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        result = _CALLS.get(args.token)
        if result is None:
            raise UnsupportedResourceError(
                f"the embedded cloud cannot answer the invoke {args.token}; add it to localcloud/provider.py"
            )
        return dict(result), []
