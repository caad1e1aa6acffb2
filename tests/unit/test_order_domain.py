from datetime import UTC, datetime

import pytest
from order.domain import (
    CancellationReason,
    CannotCancel,
    Money,
    OrderLine,
    OrderRejected,
    OrderStatus,
    ShippingAddress,
    cancel,
    payment_captured,
    place_order,
    reason_for_failure,
    shipment_scheduled,
    stock_reserved,
)

ADDRESS = ShippingAddress("Ada", "1 Main St", "Berlin", "10115", "DE")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def an_order(*lines: OrderLine):
    lines = lines or (
        OrderLine("MUG", 2, Money(1250, "EUR")),
        OrderLine("TEA", 1, Money(400, "EUR")),
    )
    return place_order("o1", "c1", tuple(lines), "tok_visa", ADDRESS, NOW)


def test_a_new_order_is_pending_and_totals_its_lines():
    order = an_order()
    assert order.status is OrderStatus.PENDING
    assert order.total == Money(2900, "EUR")


def test_an_order_is_priced_in_one_currency():
    with pytest.raises(OrderRejected, match="one currency"):
        an_order(OrderLine("MUG", 1, Money(1, "EUR")), OrderLine("TEA", 1, Money(1, "USD")))


def test_stock_reserved_moves_a_pending_order_on_once():
    order = an_order()
    reserved = stock_reserved(order)
    assert reserved.status is OrderStatus.STOCK_RESERVED
    assert (order.version, reserved.version) == (1, 2)
    assert stock_reserved(reserved) is None


def test_a_cancelled_order_ignores_late_outcomes():
    cancelled = cancel(an_order(), CancellationReason.CUSTOMER_REQUEST)
    assert cancelled.status is OrderStatus.CANCELLED
    assert cancelled.cancellation_reason is CancellationReason.CUSTOMER_REQUEST
    assert stock_reserved(cancelled) is None
    assert cancel(cancelled, CancellationReason.OUT_OF_STOCK) is None


def test_a_confirmed_order_cannot_be_cancelled():
    from dataclasses import replace

    confirmed = replace(an_order(), status=OrderStatus.CONFIRMED)
    with pytest.raises(CannotCancel):
        cancel(confirmed, CancellationReason.CUSTOMER_REQUEST)


def test_an_order_only_moves_forward_whatever_order_outcomes_arrive_in():
    paid = payment_captured(an_order())
    assert paid.status is OrderStatus.PAID
    # inventory.reserved overtaken by payment.captured: it changes nothing when it arrives.
    assert stock_reserved(paid) is None
    confirmed = shipment_scheduled(paid)
    assert confirmed.status is OrderStatus.CONFIRMED
    assert payment_captured(confirmed) is None


def test_participants_failures_map_to_cancellation_reasons():
    assert reason_for_failure("payment.declined", "CARD_DECLINED") is CancellationReason.PAYMENT_DECLINED
    assert reason_for_failure("shipping.failed", "COUNTRY_NOT_SERVED") is CancellationReason.SHIPPING_UNAVAILABLE
    assert reason_for_failure("inventory.reservation-rejected", "UNKNOWN_SKU") is CancellationReason.UNKNOWN_SKU
    # A participant that refused because the order was already cancelled calls for nothing.
    assert reason_for_failure("inventory.reservation-rejected", "ORDER_CANCELLED") is None


def test_the_customer_is_told_why_an_order_without_lines_is_refused():
    # The API answers 422 with this text.
    with pytest.raises(OrderRejected) as refused:
        place_order("o1", "c1", (), "tok_visa", ADDRESS, NOW)
    assert str(refused.value) == "an order needs at least one line"


def test_a_placed_order_is_the_customers_request_as_asked():
    order = an_order()
    assert (order.order_id, order.customer_id, order.payment_method_token) == ("o1", "c1", "tok_visa")
    assert (order.shipping_address, order.placed_at, order.version) == (ADDRESS, NOW, 1)
