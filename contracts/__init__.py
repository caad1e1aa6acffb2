"""The event contracts: JSON Schemas per event type and major version, and the catalog.

This package ships inside every Lambda bundle (the publish and receive paths
validate against these schemas) and is read by the Pulumi program (routing and
permissions derive from the catalog), so it must stay free of AWS and Pulumi.
"""

from contracts.catalog import Catalog, EventContract, load_catalog
from contracts.schemas import (
    ENVELOPE_SCHEMA_PATH,
    dataschema_uri,
    load_envelope_schema,
    load_event_schemas,
)

__all__ = [
    "ENVELOPE_SCHEMA_PATH",
    "Catalog",
    "EventContract",
    "dataschema_uri",
    "load_catalog",
    "load_envelope_schema",
    "load_event_schemas",
]
