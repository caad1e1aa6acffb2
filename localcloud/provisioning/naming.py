"""Pulumi-style auto-naming, made deterministic so local runs are repeatable."""

from __future__ import annotations

import hashlib


class NameTooLongError(ValueError):
    pass


def _hex(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def physical_name(
    inputs: dict[str, object],
    logical_name: str,
    type_token: str,
    max_length: int,
    *,
    name_key: str = "name",
    suffix: str = "",
    stack: str = "",
) -> str:
    """The name a real `pulumi up` would give the resource (modulo the random part).

    An explicit `name` wins; `namePrefix` gets a unique tail; otherwise Pulumi
    appends "-" and 7 random hex characters to the logical name. Like the
    provider, a name that cannot fit is an error rather than silently cut.
    """
    explicit = inputs.get(name_key)
    if isinstance(explicit, str) and explicit:
        name = explicit
    else:
        seed = f"{stack}:{type_token}:{logical_name}"
        prefix = inputs.get("namePrefix")
        if isinstance(prefix, str) and prefix:
            name = prefix + _hex(seed, 26) + suffix
        else:
            name = f"{logical_name}-{_hex(seed, 7)}{suffix}"
    if len(name) > max_length:
        raise NameTooLongError(
            f"{type_token} '{logical_name}': name '{name}' is longer than the maximum "
            f"length {max_length} AWS allows; shorten the logical name or set a name"
        )
    return name
