"""SQS deletes that remember nothing about deleted messages.

moto keeps every receipt handle of every deleted message, forever, only so that
deleting an already-deleted message succeeds. AWS accepts any receipt handle it
issued, even one whose message is gone ("the request succeeds, but the message
might not be deleted") and refuses only a malformed one. Here a well-formed handle
that no message in the queue holds is accepted the same way, and the set moto
keeps stays empty.
"""

from __future__ import annotations

import re

from localcloud.emulator.patches.moto_shape import is_patched, mark_patched, require, require_source

_PATCH = "sqs_deleted_messages"
# The shape of moto's receipt handles (moto/sqs/utils.py generate_receipt_handle).
_RECEIPT_HANDLE = re.compile(r"[a-z]{185}")


def apply() -> None:
    from moto.sqs.models import Queue
    from moto.sqs.utils import generate_receipt_handle

    original = Queue.delete_message
    if is_patched(original):
        return
    require(_RECEIPT_HANDLE.fullmatch(generate_receipt_handle()), _PATCH, "moto's receipt handles changed shape")
    require_source(
        original,
        _PATCH,
        "if receipt_handle in self.deleted_messages:",
        "self.deleted_messages.update(message.all_receipt_handles)",
    )

    def delete_message(self: Queue, receipt_handle: str) -> None:
        if _RECEIPT_HANDLE.fullmatch(receipt_handle) and not any(
            message.had_receipt_handle(receipt_handle) for message in self._messages
        ):
            return  # its message is already gone
        original(self, receipt_handle)
        self.deleted_messages.clear()

    Queue.delete_message = mark_patched(delete_message)  # type: ignore[method-assign]
