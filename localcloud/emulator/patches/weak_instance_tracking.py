"""moto's model objects, tracked without being kept alive.

`BaseModel.__new__` appends every model object (deep copies included) to a
class-level `instances_tracked` list that only a full moto reset empties, so no
model object is ever freed: every received SQS message copy, every DynamoDB item
copy, every stream iterator stays in memory for the server's lifetime. moto reads
the list only to list objects (its /moto-api/data.json dashboard, S3's reset), so
weak references serve it as well. moto's reset replaces the lists with empty ones;
they turn weak again on the next object.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require, require_source


class WeakInstances:
    """The part of a list moto uses (append, iterate, len), holding weak references."""

    def __init__(self, instances: Iterable[Any] = ()) -> None:
        self._alive: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()
        self._unreferenceable: list[Any] = []
        self._serial = itertools.count()
        # moto creates objects on many request threads; a dict must not grow while listed.
        self._lock = threading.Lock()
        for instance in instances:
            self.append(instance)

    def append(self, instance: Any) -> None:
        with self._lock:
            try:
                self._alive[next(self._serial)] = instance
            except TypeError:
                # A class with __slots__ and no __weakref__: tracked as moto does.
                self._unreferenceable.append(instance)

    def __iter__(self) -> Iterator[Any]:
        with self._lock:
            return iter([*self._alive.values(), *self._unreferenceable])

    def __len__(self) -> int:
        return len(self._alive) + len(self._unreferenceable)


def apply() -> None:
    from moto.core.base_backend import InstanceTrackerMeta
    from moto.core.common_models import BaseModel
    from moto.core.model_instances import reset_model_data

    original = BaseModel.__dict__["__new__"]
    original = getattr(original, "__func__", original)
    if is_patched(original):
        return
    require_source(original, "weak_instance_tracking", "cls.instances_tracked.append(instance)")
    require_source(InstanceTrackerMeta.__new__, "weak_instance_tracking", "cls.instances_tracked")
    require_source(reset_model_data, "weak_instance_tracking", "model.instances_tracked = []")

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        tracked = cls.__dict__.get("instances_tracked")
        if not isinstance(tracked, WeakInstances):
            cls.instances_tracked = WeakInstances(tracked or ())  # type: ignore[attr-defined]
        return original(cls, *args, **kwargs)

    BaseModel.__new__ = staticmethod(mark_patched(__new__))  # type: ignore[method-assign,assignment]
    require(is_patched(BaseModel.__new__), "weak_instance_tracking", "BaseModel.__new__ could not be replaced")
