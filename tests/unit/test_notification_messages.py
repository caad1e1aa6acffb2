from notification.messages import REASONS_IN_WORDS, order_cancelled, order_confirmed
from order.domain import CancellationReason


def test_a_confirmation_names_the_order():
    message = order_confirmed("o1", "c1")
    assert message.customer_id == "c1"
    assert "o1" in message.body


def test_every_cancellation_reason_is_explained_in_words():
    assert set(REASONS_IN_WORDS) == {reason.value for reason in CancellationReason}
    message = order_cancelled("o1", "c1", "PAYMENT_DECLINED")
    assert "payment was declined" in message.body
