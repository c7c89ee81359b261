"""What the log redaction removes, and what it leaves readable."""

from __future__ import annotations

import logging

import pytest

from huiyuan.core.logredact import ACCESS_LOG_FORMAT, redact, redact_record


@pytest.mark.parametrize(
    "line,clean",
    [
        (
            '"GET /api/v1/members?q=330106199711190746&limit=5 HTTP/1.1" 200 12',
            '"GET /api/v1/members?q=[redacted]&limit=[redacted] HTTP/1.1" 200 12',
        ),
        ("/members/search/?q=19897375704", "/members/search/?q=[redacted]"),
        ("/counter/?q=%E6%9D%AD%E5%B7%9E", "/counter/?q=[redacted]"),
        (
            "Not Found: /api/v1/cards/by-number/88001234",
            "Not Found: /api/v1/cards/by-number/[redacted]",
        ),
        ("member 13812345678 and +8613912345678", "member [mobile] and [mobile]"),
        ("id 11010519491231002X.", "id [id-number]."),
        ("card 1234567890123456789012 stays", "card 1234567890123456789012 stays"),
        ("GET /api/v1/members/42 200", "GET /api/v1/members/42 200"),
    ],
)
def test_redact(line, clean):
    assert redact(line) == clean


def test_record_keeps_its_message_but_not_the_values():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "q=%s", ("13812345678",), None)
    redact_record(record)
    assert (record.getMessage(), record.args) == ("q=[mobile]", None)


def test_access_log_format_has_no_query_and_no_referrer():
    assert "%(r)s" not in ACCESS_LOG_FORMAT and "%(q)s" not in ACCESS_LOG_FORMAT
    assert "%(f)s" not in ACCESS_LOG_FORMAT and "%(U)s" in ACCESS_LOG_FORMAT
