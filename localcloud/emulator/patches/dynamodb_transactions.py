"""DynamoDB transactions that back up only what they touch.

Before it writes, moto's `transact_write_items` deep-copies each addressed table
(every item, and every stream record the table ever produced), once per item in
the transaction, and on cancellation puts the copy in place of the live table.
Memory and time then grow with the table's history, and a stream reader opened
before a cancelled transaction goes on reading the discarded table's stream, so it
never sees a later write.

Here moto's own loop still decides everything (conditions, CancellationReasons,
ReturnValuesOnConditionCheckFailure), but its whole-table copy is the live table
itself, and the transaction keeps a deep copy of each item it addresses (or notes
its absence) and each touched stream's length; when the transaction does not
commit, just those are put back. Its stream records are therefore gone unless it
commits, and dynamodb_isolation keeps readers from seeing them meanwhile.
"""

from __future__ import annotations

import copy
import threading
import types
from typing import Any

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require, require_source

_PATCH = "dynamodb_transactions"
_in_transaction = threading.local()


class _TouchedState:
    """What one transaction may change: the items it addresses, and their tables' streams."""

    def __init__(self) -> None:
        self._items: list[tuple[Any, Any, Any, Any]] = []  # table, hash key, range key, saved item or None
        self._streams: dict[int, tuple[Any, int]] = {}  # id(shard) -> shard, next sequence number

    @classmethod
    def before(cls, backend: Any, transact_items: list[dict[str, Any]]) -> _TouchedState:
        state = cls()
        for entry in transact_items:
            if len(entry) != 1:
                continue  # moto refuses it as a whole
            [(operation, parameters)] = entry.items()
            if operation not in ("Put", "Update", "Delete") or not isinstance(parameters, dict):
                continue  # a ConditionCheck writes nothing
            try:
                table = backend.get_table(parameters["TableName"])  # a name or an ARN
                key = parameters["Item"] if operation == "Put" else parameters["Key"]
                hash_key, range_key = backend.get_keys_value(table, key)
            except Exception:
                continue  # moto refuses an operation it cannot address before writing it
            state._note(table, hash_key, range_key)
        return state

    def _note(self, table: Any, hash_key: Any, range_key: Any) -> None:
        # Read table.items directly: table.get_item would plant an empty partition.
        partition = table.items.get(hash_key)
        stored = partition if range_key is None else (partition or {}).get(range_key)
        # A deep copy, since moto's update_item changes the stored item in place.
        self._items.append((table, hash_key, range_key, copy.deepcopy(stored)))
        shard = table.stream_shard
        if shard is not None and id(shard) not in self._streams:
            self._streams[id(shard)] = (shard, shard.starting_sequence_number + len(shard.items))

    def restore(self) -> None:
        # Backwards, so an item addressed twice (which moto refuses) ends as it began.
        for table, hash_key, range_key, saved in reversed(self._items):
            if range_key is None:
                if saved is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = saved
            elif saved is None:
                table.items.get(hash_key, {}).pop(range_key, None)
            else:
                table.items[hash_key][range_key] = saved
        for shard, next_sequence_number in self._streams.values():
            del shard.items[max(next_sequence_number - shard.starting_sequence_number, 0) :]


def _deepcopy_keeping_tables(table_type: type) -> Any:
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if getattr(_in_transaction, "active", False) and isinstance(value, table_type):
            return value
        return copy.deepcopy(value, memo)

    return deepcopy


def apply() -> None:
    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard, Table

    original = DynamoDBBackend.transact_write_items
    if is_patched(original):
        return
    require_source(
        original,
        _PATCH,
        "original_table_state[table_name] = copy.deepcopy(self.tables[table_name])",
        "self.tables[table_name] = original_table_state[table_name]",
    )
    require(dynamodb_models.copy is copy, _PATCH, "moto.dynamodb.models no longer imports copy")
    require_source(DynamoDBBackend.get_keys_value, _PATCH, "return hash_key, range_key")
    require_source(
        Table.put_item, _PATCH, "self.items[hash_value][range_value] = item", "self.items[hash_value] = item"
    )
    require_source(StreamShard.add, _PATCH, "seq = len(self.items) + self.starting_sequence_number")

    # moto.dynamodb.models sees a copy module whose deepcopy hands back a table
    # as it is while a transaction runs, so moto's backup is the live table and
    # its "restore" puts the same table back.
    copy_keeping_tables = types.ModuleType("copy")
    copy_keeping_tables.__dict__.update(vars(copy))
    copy_keeping_tables.deepcopy = _deepcopy_keeping_tables(Table)  # type: ignore[attr-defined]
    dynamodb_models.copy = copy_keeping_tables  # type: ignore[attr-defined]

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        touched = _TouchedState.before(self, transact_items)
        _in_transaction.active = True
        try:
            original(self, transact_items)
        except BaseException:
            touched.restore()
            raise
        finally:
            _in_transaction.active = False

    DynamoDBBackend.transact_write_items = mark_patched(transact_write_items)  # type: ignore[method-assign]
