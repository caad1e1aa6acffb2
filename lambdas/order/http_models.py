"""The order API's request and response bodies.

Powertools validates requests against them and documents them in OpenAPI.
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

Sku = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,31}$", examples=["SKU-RED-MUG"])]


class Strict(BaseModel):
    # JSON types are never coerced: "1" and true are not quantities, 1.5 is not a price.
    model_config = ConfigDict(extra="forbid", strict=True)


class Price(Strict):
    amount: Annotated[int, Field(ge=0, description="Minor units (cents).")]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]


# Bounds chosen so that no order the schema admits can exceed what the events carry
# (25 lines x 100 items x 100,000.00 stays within the contracts' amount maximum).
class OrderLineIn(Strict):
    sku: Sku
    quantity: Annotated[int, Field(ge=1, le=100)]
    unitPrice: Annotated[int, Field(ge=0, le=10_000_000, description="Minor units (cents), in the order's currency.")]

    @field_validator("quantity", "unitPrice", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        # JSON has one number type: 2.0 is the integer 2 (JSON Schema's "integer" admits it), while
        # 2.5, "2" and true are not integers and strict validation refuses them.
        return int(value) if isinstance(value, float) and value.is_integer() else value


class Address(Strict):
    recipient: Annotated[str, Field(min_length=1, max_length=100)]
    line1: Annotated[str, Field(min_length=1, max_length=200)]
    city: Annotated[str, Field(min_length=1, max_length=100)]
    postalCode: Annotated[str, Field(min_length=1, max_length=20)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")]


class PlaceOrderRequest(Strict):
    # No customer field: the customer is whoever the token says placed the order.
    # One currency per order, stated once, so no request the document admits is refused for mixing them.
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=25)]
    paymentMethodToken: Annotated[
        str,
        Field(
            pattern=r"^tok_[A-Za-z0-9_]{1,64}$",
            description="A payment provider token; card numbers never reach this API.",
        ),
    ]
    shippingAddress: Address


class OrderAccepted(BaseModel):
    orderId: str
    status: str


class OrderLineOut(BaseModel):
    sku: str
    quantity: int
    unitPrice: Price


class TimelineEntry(BaseModel):
    id: str
    type: str
    source: str
    time: str
    dataschema: str


class OrderView(BaseModel):
    orderId: str
    customerId: str
    status: str
    cancellationReason: str | None = None
    lines: list[OrderLineOut]
    total: Price
    placedAt: str
    timeline: list[TimelineEntry]


class FieldProblem(BaseModel):
    """One reason a request was refused: where in the request, and what is wrong there."""

    location: list[str | int]
    reason: str


class Problem(BaseModel):
    """Every error this API answers, whether the function or API Gateway in front of it refuses:
    API Gateway's own refusals (401, 413, 429, 503) carry only `message`."""

    message: str
    problems: list[FieldProblem] | None = None
