"""The embedded AWS cloud: the real Pulumi program deployed into moto, functions run locally."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localcloud.embedded_cloud import EmbeddedCloud

__all__ = ["EmbeddedCloud"]


def __getattr__(name: str) -> Any:
    # Imported lazily: function and moto processes import this package too and must
    # not pay for Pulumi.
    if name == "EmbeddedCloud":
        from localcloud.embedded_cloud import EmbeddedCloud

        return EmbeddedCloud
    raise AttributeError(name)
