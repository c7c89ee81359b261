"""Services of payments: online orders, notifications, the sandbox, the payment PIN."""

from huiyuan.payments.services.notifications import notification_receive
from huiyuan.payments.services.orders import online_order_create
from huiyuan.payments.services.pin import pin_policy_update, pin_set

__all__ = ["notification_receive", "online_order_create", "pin_policy_update", "pin_set"]
