"""The order HTTP API: place an order, read it. Thin: parse, call the domain, store.

API Gateway's JWT authorizer has checked the caller's token before any of this runs; the order's
customer is the token's subject, and a customer sees and cancels only their own orders.
"""

import gc

# Lambda's init phase, to the last lines of this module: everything built here lives as long as the
# sandbox, so the cyclic collector would only scan it again and again (docs/performance.md).
gc.disable()

import binascii
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from saga_events.sealing import FieldSealer

from order.domain import (
    CancellationReason,
    CannotCancel,
    Money,
    Order,
    OrderLine,
    OrderRejected,
    ShippingAddress,
    cancel,
    place_order,
)
from order.events import order_cancelled, order_placed
from order.http_models import FieldProblem, OrderAccepted, OrderView, PlaceOrderRequest, Problem
from order.store import OrderChanged, OrderExists, OrderStore

logger = Logger(service="order")
metrics = Metrics(namespace="OrderSaga", service="order")
dynamodb = boto3.client("dynamodb")
store = OrderStore(dynamodb, os.environ["ORDERS_TABLE"])
SOURCE = os.environ["EVENT_SOURCE"]
# Every order must be decided this long after it is placed (the stack's orderDeadlineSeconds).
TIME_ALLOWED = timedelta(seconds=int(os.environ["ORDER_DEADLINE_SECONDS"]))
# Encrypts order.placed's payment token and address, each for the one context that reads it.
sealer = FieldSealer.from_environment(boto3.client("kms"))
app = APIGatewayHttpResolver(enable_validation=True)
API_TITLE, API_VERSION = "Order API", "1.0.0"
API_DESCRIPTION = "Place orders, cancel them, and follow each through the saga."


@cache
def _openapi_configured() -> None:
    """Configured when the document is first asked for, not at init: the OpenAPI models (pydantic
    classes Powertools imports lazily, for the document alone) cost about 25 ms of this module's
    ~300 ms cold import (CPU, A/B in fresh interpreters), and no other request needs them."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    app.configure_openapi(
        title=API_TITLE,
        version=API_VERSION,
        description=API_DESCRIPTION,
        # Every operation wants a customer's access token: API Gateway's JWT authorizer checks it.
        security_schemes={"customerToken": HTTPBearer(bearerFormat="JWT")},
        security=[{"customerToken": []}],
    )


# A retried POST with the same Idempotency-Key returns the first response; the same key
# with a different body is refused rather than silently answered with another order.
_place_once_config = IdempotencyConfig(
    event_key_jmespath="[customerId, idempotencyKey]",
    payload_validation_jmespath="order",
    expires_after_seconds=24 * 3600,
)
# Our client, not a new boto3 session that would read every AWS model file again.
_place_once_persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"], boto3_client=dynamodb)
# Keyed order ids are name-based UUIDs in this namespace (RFC 9562 version 5).
_KEYED_ORDER_IDS = uuid.UUID("6f1c1d3e-2b0a-4c57-9a43-1d2f0c8b7e65")


# Order ids are UUIDs: anything else is refused before a table is touched.
OrderId = Annotated[
    str,
    Path(
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        description="The id POST /orders returned.",
    ),
]


class ApiProblem(Exception):
    """A refusal the client can act on: its status and a reason in words."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@app.exception_handler(ApiProblem)
def _problem(problem: ApiProblem) -> Response:
    return _problem_response(problem.status, Problem(message=str(problem)))


@app.exception_handler(RequestUnsupportedContentType)
def _not_json(_: RequestUnsupportedContentType) -> Response:
    return _problem_response(415, Problem(message="the body must be JSON (content-type: application/json)"))


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response:
    # Powertools' own 422 body ({"statusCode", "detail"}) is not the Problem the document promises;
    # the refused input is not echoed back (it may be huge, or hold what the caller should not see again).
    problems = [
        FieldProblem(location=[str(part) if not isinstance(part, int) else part for part in e["loc"]], reason=e["msg"])
        for e in error.errors()
    ]
    return _problem_response(422, Problem(message="the request is invalid", problems=problems))


@app.exception_handler(UnicodeDecodeError)
@app.exception_handler(binascii.Error)
def _not_utf8(_: ValueError) -> Response:
    # API Gateway hands a body that is not UTF-8 text over base64-encoded; JSON is UTF-8 (RFC 8259).
    return _problem_response(400, Problem(message="the body is not UTF-8 text"))


@app.exception_handler(RecursionError)
def _too_deep(_: RecursionError) -> Response:
    # No order is nested more than a few levels; a body nested past the parser's limit is no order.
    return _problem_response(400, Problem(message="the body is nested deeper than any order"))


def _problem_response(status: int, problem: Problem) -> Response:
    return Response(status, content_types.APPLICATION_JSON, problem.model_dump(exclude_none=True))


def _problems(*statuses: int) -> dict[int, dict[str, Any]]:
    """The refusals an operation can answer, each documented with the one Problem body."""
    return {
        status: {"description": _REFUSALS[status], "content": {"application/json": {"model": Problem}}}
        for status in statuses
    }


_REFUSALS = {
    400: "The body is not UTF-8 JSON, or is nested deeper than any order",
    401: "No valid token (API Gateway's JWT authorizer)",
    404: "No such order",
    409: "Conflict",
    413: "The body is larger than API Gateway accepts (10 MB)",
    415: "The body is not JSON",
    422: "The request is invalid; `problems` says where and why",
    429: "Too many requests (the stage's throttling)",
    500: "Internal error (API Gateway's answer when the function fails or is throttled)",
    503: "The function did not answer within the integration timeout; the request may still take effect",
}
# What API Gateway may answer for any route, before or instead of the function.
_GATEWAY_REFUSALS = (401, 429, 500, 503)


def _accept(order_id: str, status: str) -> Response[OrderAccepted]:
    return Response(
        202,
        content_types.APPLICATION_JSON,
        OrderAccepted(orderId=order_id, status=status).model_dump(),
        headers={"Location": f"/orders/{order_id}"},
    )


def _customer() -> str:
    """The caller, as the JWT authorizer verified them. Without one (a route left without an
    authorizer by mistake) nothing is served: failing closed, not as an anonymous customer."""
    subject = app.current_event.request_context.authorizer.jwt_claim.get("sub")
    # Events carry a customer id of at most 64 characters (a Cognito subject is a 36-character UUID).
    if not isinstance(subject, str) or not 1 <= len(subject) <= 64:
        raise ApiProblem(401, "Unauthorized")
    return subject


def _own_order(order_id: str, customer_id: str) -> Order:
    """The customer's order; another customer's is answered exactly as one that does not exist,
    so order ids cannot be probed."""
    order = store.get(order_id)
    if order is None or order.customer_id != customer_id:
        raise NotFoundError(f"order {order_id} does not exist")
    return order


def _place(
    request: PlaceOrderRequest, customer_id: str, request_id: str, idempotency_key: str | None = None
) -> dict[str, str]:
    now = datetime.now(UTC)
    order = place_order(
        order_id=_order_id(customer_id, idempotency_key),
        customer_id=customer_id,
        lines=tuple(
            OrderLine(line.sku, line.quantity, Money(line.unitPrice, request.currency)) for line in request.lines
        ),
        payment_method_token=request.paymentMethodToken,
        shipping_address=ShippingAddress(**_address(request)),
        now=now,
        time_allowed=TIME_ALLOWED,
    )
    try:
        store.add(order, order_placed(order, request_id, sealer, source=SOURCE), now)
    except OrderExists:
        # Only a keyed order id can exist already: an earlier attempt stored the order and
        # then died before its idempotency record was completed. Answer that order.
        earlier = store.get(order.order_id)
        if earlier is None or (earlier.customer_id, earlier.lines) != (order.customer_id, order.lines):
            raise ApiProblem(422, "this Idempotency-Key was already used with a different order") from None
        return {"orderId": earlier.order_id, "status": earlier.status.value}
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=1)
    logger.append_keys(correlation_id=order.order_id)
    logger.info("order placed")
    return {"orderId": order.order_id, "status": order.status.value}


def _order_id(customer_id: str, idempotency_key: str | None) -> str:
    """A new order's id; the same one for every retry of one keyed request.

    Powertools' idempotency record alone cannot promise that: an attempt that stored the
    order and died before completing the record leaves an in-progress record that expires,
    and the retry runs again. With the id derived from the key, that retry meets its own
    order instead of placing (and charging) a second one.
    """
    if idempotency_key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(_KEYED_ORDER_IDS, json.dumps([customer_id, idempotency_key])))


@idempotent_function(
    data_keyword_argument="attempt",
    config=_place_once_config,
    persistence_store=_place_once_persistence,
)
def _place_once(attempt: dict[str, Any]) -> dict[str, str]:
    return _place(
        PlaceOrderRequest.model_validate(attempt["order"]),
        attempt["customerId"],
        attempt["requestId"],
        attempt["idempotencyKey"],
    )


def _address(request: PlaceOrderRequest) -> dict[str, str]:
    address = request.shippingAddress
    return {
        "recipient": address.recipient,
        "line1": address.line1,
        "city": address.city,
        "postal_code": address.postalCode,
        "country": address.country,
    }


@app.post(
    "/orders",
    summary="Place an order",
    responses={
        202: {
            "description": "Accepted: the saga has started",
            "content": {"application/json": {"model": OrderAccepted}},
        },
        **_problems(400, 409, 413, 415, 422, *_GATEWAY_REFUSALS),
        409: {
            "description": "The Idempotency-Key is in use by a request still running",
            "content": {"application/json": {"model": Problem}},
        },
    },
)
def post_order(
    order: Annotated[PlaceOrderRequest, Body()],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="idempotency-key",
            min_length=1,
            max_length=128,
            description="Send the same key when retrying: the retry returns the first order.",
        ),
    ] = None,
) -> Response[OrderAccepted]:
    request_id = app.current_event.request_context.request_id
    customer_id = _customer()
    try:
        if idempotency_key is None:
            accepted = _place(order, customer_id, request_id)
        else:
            accepted = _place_once(
                attempt={
                    "customerId": customer_id,
                    "idempotencyKey": idempotency_key,
                    "requestId": request_id,
                    "order": order.model_dump(),
                }
            )
    except OrderRejected as error:
        raise ApiProblem(422, str(error)) from error
    except IdempotencyValidationError as error:
        raise ApiProblem(422, "this Idempotency-Key was already used with a different order") from error
    except IdempotencyAlreadyInProgressError as error:
        raise ApiProblem(409, "a request with this Idempotency-Key is still being processed") from error
    return _accept(accepted["orderId"], accepted["status"])


@app.get(
    "/orders/<order_id>",
    summary="Read an order: its status, reason and the saga's timeline",
    responses=_problems(404, 422, *_GATEWAY_REFUSALS),
)
def get_order(order_id: OrderId) -> OrderView:
    order = _own_order(order_id, _customer())
    total = order.total
    return OrderView(
        orderId=order.order_id,
        customerId=order.customer_id,
        status=order.status.value,
        cancellationReason=order.cancellation_reason.value if order.cancellation_reason else None,
        lines=[
            {
                "sku": line.sku,
                "quantity": line.quantity,
                "unitPrice": {
                    "amount": line.unit_price.amount,
                    "currency": line.unit_price.currency,
                },
            }
            for line in order.lines
        ],
        total={"amount": total.amount, "currency": total.currency},
        placedAt=order.placed_at.isoformat(),
        timeline=[{k: e[k] for k in ("id", "type", "source", "time", "dataschema")} for e in store.timeline(order_id)],
    )


@app.post(
    "/orders/<order_id>/cancel",
    summary="Cancel an order that is not yet confirmed",
    responses={
        202: {
            "description": "Cancelled: every context undoes its part",
            "content": {"application/json": {"model": OrderAccepted}},
        },
        **_problems(404, 422, *_GATEWAY_REFUSALS),
        409: {
            "description": "The order is confirmed and can no longer be cancelled",
            "content": {"application/json": {"model": Problem}},
        },
    },
)
def cancel_order(order_id: OrderId) -> Response[OrderAccepted]:
    request_id = app.current_event.request_context.request_id
    customer_id = _customer()
    # The saga moves the order on concurrently; re-read and retry when it changed under us.
    for _ in range(3):
        order = _own_order(order_id, customer_id)
        try:
            cancelled = cancel(order, CancellationReason.CUSTOMER_REQUEST)
        except CannotCancel as error:
            raise ApiProblem(409, f"order {order_id} is {order.status.value} and can no longer be cancelled") from error
        if cancelled is None:
            return _accept(order.order_id, order.status.value)
        now = datetime.now(UTC)
        try:
            store.save(
                cancelled,
                [order_cancelled(cancelled, request_id, "cancelled by the customer", now, source=SOURCE)],
                now,
            )
        except OrderChanged:
            continue
        metrics.add_metric(name="OrdersCancelled", unit=MetricUnit.Count, value=1)
        return _accept(cancelled.order_id, cancelled.status.value)
    raise ApiProblem(409, f"order {order_id} is changing; try again")


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[dict]:
    _openapi_configured()
    # Powertools renders the document as JSON text; the response model wants the object.
    document = app.get_openapi_json_schema(title=API_TITLE, version=API_VERSION, description=API_DESCRIPTION)
    return Response(200, content_types.APPLICATION_JSON, json.loads(document))


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def handle(event: dict, context: LambdaContext) -> dict:
    _place_once_config.register_lambda_context(context)
    return app.resolve(event, context)


# Init is over. Frozen, what it built is never scanned again: not by the first request either.
gc.freeze()
gc.enable()
