"""Field keys: one KMS key per context that reads encrypted event fields.

Which context reads which field is the schemas' `x-encrypted-for` (contracts/sealed.py); who
writes it is the catalog's producer of that event. Everything here is derived from those two,
so a new encrypted field needs a schema change only.
"""

import pulumi

from contracts import Catalog
from contracts.sealed import SealedField, sealed_fields


def field_key_alias(context: str) -> str:
    """The alias of `context`'s field key. A name both sides can know: the producer encrypts by
    alias, so its function needs no reference to a key another context creates after it."""
    return f"alias/{pulumi.get_project()}-{pulumi.get_stack()}/{context}-fields"


def fields_read_by(context: str) -> tuple[SealedField, ...]:
    return tuple(field for field in sealed_fields() if field.reader == context)


def readers_of_fields_produced_by(catalog: Catalog, context: str) -> tuple[str, ...]:
    produced = {(event.type, event.version) for event in catalog.produced_by(context)}
    return tuple(sorted({f.reader for f in sealed_fields() if (f.event_type, f.version) in produced}))


def producers_writing_for(catalog: Catalog, context: str) -> tuple[str, ...]:
    return tuple(sorted({catalog.contract(f.event_type, f.version).producer for f in fields_read_by(context)}))
