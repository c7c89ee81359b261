"""E-mail over SMTP through Django's e-mail backend (``EMAIL_HOST``…), or over the SMTP
server named in the channel's options (host, port, username, password, use_tls)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from huiyuan.care.channels import Channel, Message, Result


class EmailChannel(Channel):
    def _connection(self) -> Any:
        opts = self.options
        if "host" not in opts:
            return get_connection()
        return get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host=opts["host"],
            port=int(opts.get("port", 25)),
            username=opts.get("username") or None,
            password=opts.get("password") or None,
            use_tls=bool(opts.get("use_tls", False)),
            use_ssl=bool(opts.get("use_ssl", False)),
            timeout=float(opts.get("timeout", 10)),
        )

    def send(self, message: Message) -> Result:
        if "@" not in message.to:
            return Result(ok=False, response="no e-mail address", retryable=False)
        sender = self.options.get("from_email") or settings.DEFAULT_FROM_EMAIL
        mail = EmailMessage(
            subject=message.subject or message.template_code,
            body=message.body,
            from_email=sender,
            to=[message.to],
            headers={"X-Huiyuan-Delivery": str(message.delivery_id)},
            connection=self._connection(),
        )
        sent = mail.send(fail_silently=False)  # SMTP errors raise: the worker retries
        return Result(ok=sent == 1, response=f"smtp accepted {sent}")
