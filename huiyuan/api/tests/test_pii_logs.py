"""No mobile, ID number or address in any log line (issue 7, point 3).

Searches by each go through the API and the console while every logger records at DEBUG
into ``caplog`` (on the root logger). Each request is also written the way the servers
write access lines: runserver's ``django.server`` logger, and gunicorn's access log with the
format ``huiyuan serve`` configures. None of the searched values may appear anywhere.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.test import Client
from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger

from huiyuan.api.tests.conftest import API, new_client
from huiyuan.core import gunicorn_conf
from huiyuan.core.permissions import Role

MOBILE = "13812345678"
ID_NUMBER = "11010519491231002X"
ADDRESS = "杭州市西湖区文三路398号"
SECRETS = (MOBILE, ID_NUMBER, ADDRESS)

LOGGERS = ("", "django", "django.request", "django.server", "gunicorn.access", "gunicorn.error")


def gunicorn_access_line(method: str, path: str, query: str) -> str:
    """The line gunicorn writes for this request, with the served configuration."""
    cfg = Config()
    cfg.set("accesslog", gunicorn_conf.accesslog)
    cfg.set("access_log_format", gunicorn_conf.access_log_format)
    logger = GunicornLogger(cfg)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.access_log.handlers = [handler]
    environ = {
        "REQUEST_METHOD": method,
        "RAW_URI": f"{path}?{query}" if query else path,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"http://shop.example{path}?{query}",
        "HTTP_USER_AGENT": "POS/1.0",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=128)
    logger.access(response, SimpleNamespace(headers=[]), environ, dt.timedelta(microseconds=900))
    return stream.getvalue()


class Server:
    """Sends requests and writes their access lines as runserver and gunicorn would."""

    def __init__(self) -> None:
        self.access_lines: list[str] = []

    def send(self, client: Client, method: str, path: str, query: dict[str, str], **kw):
        encoded = urlencode(query)
        if method == "GET":
            response = client.get(path, query, **kw)
        else:
            response = client.post(
                path, query if "content_type" not in kw else kw.pop("body"), **kw
            )
            encoded = ""
        line = f"{method} {path}{'?' + encoded if encoded else ''} HTTP/1.1"
        # WSGIRequestHandler.log_message (runserver): '"%s" %s %s' % (requestline, status, size)
        logging.getLogger("django.server").info('"%s" %s %s', line, response.status_code, 0)
        self.access_lines.append(gunicorn_access_line(method, path, encoded))
        return response


@pytest.fixture
def logs(caplog):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_record_factory_is_installed():
    assert getattr(logging.getLogRecordFactory(), "redacting", False)


def test_searches_leave_no_personal_data_in_any_log(logs, staff, stores, make_member, pos):
    make_member(mobile=MOBILE, id_number=ID_NUMBER, address=ADDRESS)
    server = Server()
    api = new_client()
    api.force_login(staff[Role.OWNER])
    console = Client()
    console.force_login(staff[Role.CASHIER])
    key = pos.headers

    for value in SECRETS:
        # API: the list's query string (still served), the POST search, a number in a path.
        found = server.send(api, "GET", f"{API}/members", {"q": value})
        assert found.status_code in (200, 422)
        server.send(
            api,
            "POST",
            f"{API}/members/search",
            {},
            body=f'{{"q": "{value}"}}',
            content_type="application/json",
        )
        server.send(new_client(), "GET", f"{API}/members", {"q": value}, headers=key)
        server.send(api, "GET", f"{API}/cards/by-number/{value}", {})
        server.send(api, "GET", f"{API}/members/by-code/{value}", {})
        # Console: the top bar's live search and Enter, the counter's scan box, the list.
        server.send(console, "POST", "/members/search/", {"q": value})
        server.send(console, "POST", "/members/go/", {"q": value})
        server.send(console, "POST", "/counter/", {"q": value})
        server.send(console, "GET", "/counter/", {"q": value})
        server.send(console, "GET", "/members/", {"q": value})
        server.send(console, "GET", "/counter/recharge/", {"card": value})

    text = logs.text + "".join(server.access_lines)
    # The capture is not empty: the access lines and 404 warnings are all there.
    assert "/api/v1/members" in logs.text and "/counter/" in logs.text
    assert "Not Found: /api/v1/cards/by-number/[redacted]" in logs.text
    assert "q=[redacted]" in logs.text
    for value in SECRETS:
        assert value not in text
        assert urlencode({"q": value})[2:] not in text  # nor percent-encoded
    assert all(len(line.splitlines()) == 1 for line in server.access_lines)
    assert all("?" not in line for line in server.access_lines)


def test_gunicorn_access_line_has_no_query_and_no_referrer():
    line = gunicorn_access_line("GET", "/api/v1/members", f"q={MOBILE}")
    assert '"GET /api/v1/members HTTP/1.1" 200 128' in line
    assert MOBILE not in line and "shop.example" not in line


def test_unredacted_records_from_other_code_are_redacted(logs):
    logger = logging.getLogger("huiyuan.anything")
    logger.debug("member %s lives at %s", MOBILE, f"/x?address={ADDRESS}")
    logger.warning("ID %s", ID_NUMBER)
    try:
        raise ValueError(f"lookup {MOBILE} failed")
    except ValueError:
        logger.exception("search failed")
    for value in SECRETS:
        assert value not in logs.text
    assert "member [mobile] lives at /x?address=[redacted]" in logs.text
