"""A client of a deployed saga, found through its stack outputs: the demo and the e2e tests use it.

It works the same against the embedded cloud and against a real stack: every name and
URL comes from the outputs (`pulumi stack output --json`), never from the emulator.
"""

from saga_client.target import SagaTarget

__all__ = ["SagaTarget"]
