"""The architecture, one Pulumi component per concept.

The event platform, a bounded context, a context's function, the order API.
"""
