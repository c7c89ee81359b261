"""gunicorn settings for ``huiyuan serve`` (``gunicorn -c python:huiyuan.core.gunicorn_conf``).

The access log leaves out query strings and referrers, and every log record the server
makes is redacted (see ``huiyuan.core.logredact``): searches carry mobiles and ID numbers.
"""

from huiyuan.core.logredact import ACCESS_LOG_FORMAT, install

install()  # in the master; workers fork from it, and Django installs it again on start-up

accesslog = "-"
access_log_format = ACCESS_LOG_FORMAT
