"""The AsyncAPI 3.0.0 description of the global bus, and its validation against the official schema."""

from tools.asyncapi.document import build_asyncapi
from tools.asyncapi.validation import asyncapi_errors

__all__ = ["asyncapi_errors", "build_asyncapi"]
