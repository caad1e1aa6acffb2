from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from order.domain import (
    FAILURE_REASONS,
    CancellationReason,
    CannotCancel,
    Money,
    OrderLine,
    OrderRejected,
    OrderStatus,
    OverdueStep,
    ShippingAddress,
    cancel,
    deadline_passed,
    overdue_step,
    payment_captured,
    place_order,
    reason_for_failure,
    shipment_scheduled,
    stock_reserved,
)

ADDRESS = ShippingAddress("Ada", "1 Main St", "Berlin", "10115", "DE")
NOW = datetime(2026, 1, 1, tzinfo=UTC)
TIME_ALLOWED = timedelta(minutes=15)


def an_order(*lines: OrderLine):
    lines = lines or (
        OrderLine("MUG", 2, Money(1250, "EUR")),
        OrderLine("TEA", 1, Money(400, "EUR")),
    )
    return place_order("o1", "c1", tuple(lines), "tok_visa", ADDRESS, NOW, time_allowed=TIME_ALLOWED)


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
        place_order("o1", "c1", (), "tok_visa", ADDRESS, NOW, time_allowed=TIME_ALLOWED)
    assert str(refused.value) == "an order needs at least one line"


def test_a_placed_order_is_the_customers_request_as_asked():
    order = an_order()
    assert (order.order_id, order.customer_id, order.payment_method_token) == ("o1", "c1", "tok_visa")
    assert (order.shipping_address, order.placed_at, order.version) == (ADDRESS, NOW, 1)


# --- the deadline -------------------------------------------------------------------------------

GRACE = timedelta(minutes=5)


def at(order, status):
    """The order moved to `status` as the saga would move it."""
    steps = {
        OrderStatus.PENDING: (),
        OrderStatus.STOCK_RESERVED: (stock_reserved,),
        OrderStatus.PAID: (stock_reserved, payment_captured),
        OrderStatus.CONFIRMED: (stock_reserved, payment_captured, shipment_scheduled),
    }
    if status is OrderStatus.CANCELLED:
        return cancel(order, CancellationReason.CUSTOMER_REQUEST)
    for step in steps[status]:
        order = step(order)
    return order


def test_an_order_is_due_the_stacks_time_allowed_after_it_was_placed():
    assert an_order().deadline == NOW + TIME_ALLOWED


@pytest.mark.parametrize("status", list(OrderStatus))
def test_nothing_is_overdue_before_its_deadline(status):
    order = at(an_order(), status)
    assert overdue_step(order, NOW + TIME_ALLOWED - timedelta(microseconds=1), GRACE) is OverdueStep.NOTHING


@pytest.mark.parametrize("status", [OrderStatus.CONFIRMED, OrderStatus.CANCELLED])
def test_a_decided_order_is_never_overdue(status):
    order = at(an_order(), status)
    assert not order.is_open
    assert overdue_step(order, NOW + TIME_ALLOWED * 10, GRACE) is OverdueStep.NOTHING


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.PAID])
def test_an_overdue_order_with_no_charge_in_doubt_is_cancelled_at_once(status):
    order = at(an_order(), status)
    assert order.is_open
    assert overdue_step(order, NOW + TIME_ALLOWED, GRACE) is OverdueStep.CANCEL


def test_an_overdue_order_holding_stock_asks_payment_first_then_waits_out_the_grace_then_cancels():
    order = at(an_order(), OrderStatus.STOCK_RESERVED)
    due = NOW + TIME_ALLOWED
    assert overdue_step(order, due, GRACE) is OverdueStep.ASK_PAYMENT

    told = deadline_passed(order, due)

    assert (told.deadline_passed_at, told.version, told.status) == (due, order.version + 1, order.status)
    assert overdue_step(told, due, GRACE) is OverdueStep.WAIT_FOR_PAYMENT
    assert overdue_step(told, due + GRACE - timedelta(microseconds=1), GRACE) is OverdueStep.WAIT_FOR_PAYMENT
    assert overdue_step(told, due + GRACE, GRACE) is OverdueStep.CANCEL
    with pytest.raises(ValueError, match="told"):
        deadline_passed(told, due + GRACE)


def test_a_capture_payment_reports_at_the_deadline_gets_the_grace_to_be_shipped():
    told = deadline_passed(at(an_order(), OrderStatus.STOCK_RESERVED), NOW + TIME_ALLOWED)
    paid = payment_captured(told)
    assert (paid.status, paid.deadline_passed_at) == (OrderStatus.PAID, told.deadline_passed_at)
    assert overdue_step(paid, NOW + TIME_ALLOWED + GRACE / 2, GRACE) is OverdueStep.WAIT_FOR_PAYMENT
    assert overdue_step(paid, NOW + TIME_ALLOWED + GRACE, GRACE) is OverdueStep.CANCEL
    assert overdue_step(shipment_scheduled(paid), NOW + TIME_ALLOWED + GRACE, GRACE) is OverdueStep.NOTHING


def test_an_order_placed_before_deadlines_existed_is_never_swept():
    order = replace(at(an_order(), OrderStatus.STOCK_RESERVED), deadline=None)
    assert overdue_step(order, NOW + TIME_ALLOWED * 10, GRACE) is OverdueStep.NOTHING


def test_a_charge_voided_at_the_deadline_cancels_with_reason_timeout():
    assert reason_for_failure("payment.declined", "DEADLINE_PASSED") is CancellationReason.TIMEOUT
    cancelled = cancel(at(an_order(), OrderStatus.STOCK_RESERVED), CancellationReason.TIMEOUT)
    assert (cancelled.status, cancelled.cancellation_reason, cancelled.is_open) == (
        OrderStatus.CANCELLED,
        CancellationReason.TIMEOUT,
        False,
    )


def test_orchestrated_a_steps_failure_is_the_state_machines_to_cancel_the_deadlines_void_is_not():
    # Were the order worker to cancel on payment.declined first, its order.cancelled would carry
    # another id than the one the state machine's compensations derived theirs from: every
    # compensation announced twice.
    for event_type, reported in FAILURE_REASONS:
        if (event_type, reported) != ("payment.declined", "DEADLINE_PASSED"):
            assert reason_for_failure(event_type, reported, orchestrated=True) is None, (event_type, reported)
    assert reason_for_failure("payment.declined", "DEADLINE_PASSED", orchestrated=True) is CancellationReason.TIMEOUT
    assert reason_for_failure("payment.declined", "CARD_DECLINED") is CancellationReason.PAYMENT_DECLINED
