class InvalidEvent(ValueError):
    """An event that breaks its contract. Never published; a received one is dead-lettered."""


class PublishFailed(RuntimeError):
    """EventBridge refused some entries; raising makes the message that caused them retry."""
