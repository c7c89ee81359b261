"""The one place the portal sends a verification code by SMS.

Sends through the care app's transactional channel (``huiyuan.care.sending``), which
renders the ``verify_code`` template and, in development and tests, keeps the message in a
local outbox (``huiyuan.care.testing.outbox``). When the care app cannot send (not
installed), the attempt is logged WITHOUT the code, so no secret reaches the logs.
"""

from __future__ import annotations

import importlib
import logging

logger = logging.getLogger(__name__)

PURPOSE_WORDS = {"join": "注册会员", "signin": "登录", "reset": "重设密码"}


def send_code(*, mobile: str, code: str, purpose: str) -> None:
    try:
        sending = importlib.import_module("huiyuan.care.sending")
    except ImportError:
        logger.warning(
            "verification code not sent: no SMS channel (huiyuan.care.sending)",
            extra={"purpose": purpose, "mobile_last4": mobile[-4:]},
        )
        return
    sending.send_transactional(
        template="verify_code",
        mobile=mobile,
        context={"code": code, "purpose": PURPOSE_WORDS.get(purpose, purpose), "minutes": 5},
    )
