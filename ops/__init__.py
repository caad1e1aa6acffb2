"""The operator's `ops` command: what is happening, what happened to an order, what failed and how
to retry it, how healthy the saga is. It works the same against the embedded cloud and a deployed
stack: everything it reads is found through the stack's outputs (ops/stack.py)."""
