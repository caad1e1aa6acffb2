"""One handler per resource type the embedded cloud knows how to create."""

from __future__ import annotations

from localcloud.provisioning.resources import (
    events,
    functions,
    http_api,
    iam,
    identity,
    kms,
    logs,
    queues,
    schedules,
    state_machines,
    tables,
    topics,
)
from localcloud.provisioning.resources.base import Handler, Provisioner

HANDLERS: dict[str, Handler] = {
    **events.HANDLERS,
    **logs.HANDLERS,
    **queues.HANDLERS,
    **tables.HANDLERS,
    **iam.HANDLERS,
    **functions.HANDLERS,
    **http_api.HANDLERS,
    **topics.HANDLERS,
    **kms.HANDLERS,
    **identity.HANDLERS,
    **schedules.HANDLERS,
    **state_machines.HANDLERS,
}

__all__ = ["HANDLERS", "Handler", "Provisioner"]
