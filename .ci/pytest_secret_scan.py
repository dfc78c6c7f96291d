"""pytest plugin of the Odoo suite, loaded by .ci/test.sh with -p: no secret in
the logs (issue 7, R4).

Every log record of the session is kept, at every level and from every logger,
also those muted by ``mute_logger`` or caught by ``assertLogs``, and also the
DEBUG records that the run's log level hides (logging is switched on for the
recorder only: what is printed does not change). At the end of the session
they are compared with every credential and token the simulators issued
(``tests/common.py`` collects them when it stops a simulator, in
``ISSUED_SECRETS``). One hit fails the run, naming the kind of secret and the
logger, never the secret itself.

Not kept: ``odoo.sql_db`` below INFO (``--log-sql``, Odoo's dump of every
query with its parameters, stored tokens included, for whoever asks for it).

Accepted, and printed as such: an authorization code as the ``code`` parameter
of the OAuth return URL, the address the provider sends the browser to (Odoo's
access log, ``werkzeug`` INFO; the test's browser: ``urllib3`` DEBUG, the tour
runner). OAuth 2.0 puts it there; it is used once within seconds, expires
within minutes and is worthless without the PKCE verifier that only Odoo's
database holds. Anywhere else it is a leak like any other.
"""

import base64
import logging
import re
import sys
import threading

import pytest

#: the module of the Odoo suite that collects what the simulators issued
REGISTRY_MODULE = "odoo.addons.account_bank_sync.tests.common"
#: loggers recorded from this level only (see the module's docstring)
FLOORS = {"odoo.sql_db": logging.INFO}
#: {kind: pattern of an accepted occurrence of a value} (see the docstring)
ACCEPTED = {
    "authorization code": (
        r"/bank_sync/oauth/return\?(?:[^\s\"'&]*&)*code={value}(?=[&\"'\s]|$)"
    ),
}

#: (issued secrets, secrets found) of the session, for the summary
RESULT = pytest.StashKey()

_is_enabled_for = logging.Logger.isEnabledFor
_handle = logging.Logger.handle


class Recorder:
    def __init__(self):
        self.texts = {}  # text -> (logger name, level name) of its first record
        self.records = 0
        self.lock = threading.Lock()
        self.formatter = logging.Formatter("%(message)s")

    def add(self, record):
        try:
            text = self.formatter.format(record)  # message, traceback, stack
        except Exception:  # a broken record: keep what it holds
            text = f"{record.msg!r} {record.args!r}"
        with self.lock:
            self.records += 1
            self.texts.setdefault(text, (record.name, record.levelname))

    def find(self, secrets):
        """``({kind: {(logger, level), ...}}, the same for the accepted ones)``
        of the secrets found in the texts."""
        found, accepted = {}, {}
        blob = "\x00".join(self.texts)
        for kind, values in secrets.items():
            for value in values:
                if not value or value not in blob:
                    continue
                pattern = ACCEPTED.get(kind)
                for text, where in self.texts.items():
                    if value not in text:
                        continue
                    rest = (
                        re.sub(pattern.format(value=re.escape(value)), "", text)
                        if pattern
                        else text
                    )
                    hits = found if value in rest else accepted
                    hits.setdefault(kind, set()).add(where)
        return found, accepted


RECORDER = Recorder()


def _floor(name):
    for prefix, level in FLOORS.items():
        if name == prefix or name.startswith(prefix + "."):
            return level
    return logging.DEBUG


def is_enabled_for(self, level):
    return level >= _floor(self.name) or _is_enabled_for(self, level)


def handle(self, record):
    if record.levelno >= _floor(record.name):
        RECORDER.add(record)
    # the handlers see what they saw without this plugin
    if _is_enabled_for(self, record.levelno):
        _handle(self, record)


def pytest_configure(config):
    logging.Logger.isEnabledFor = is_enabled_for
    logging.Logger.handle = handle
    config.stash[RESULT] = None


def pytest_unconfigure(config):
    logging.Logger.isEnabledFor = _is_enabled_for
    logging.Logger.handle = _handle


def issued_secrets():
    """``{kind: set of values}`` issued by the simulators of this session."""
    module = sys.modules.get(REGISTRY_MODULE)
    issued = {k: set(v) for k, v in getattr(module, "ISSUED_SECRETS", {}).items()}
    # an Authorization header as it would be logged (HTTP Basic)
    basic = issued.pop("client credentials", set())
    issued["client credentials (HTTP Basic)"] = {
        base64.b64encode(pair.encode()).decode() for pair in basic
    }
    return {kind: values for kind, values in issued.items() if values}


def pytest_sessionfinish(session, exitstatus):
    secrets = issued_secrets()
    found, accepted = RECORDER.find(secrets)
    session.config.stash[RESULT] = (secrets, found, accepted)
    if found and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    secrets, found, accepted = config.stash.get(RESULT, None) or ({}, {}, {})
    write = terminalreporter.write_line
    terminalreporter.section("secret scan of the logs")
    counts = ", ".join(f"{len(v)} {k}" for k, v in sorted(secrets.items()))
    write(
        f"{RECORDER.records} log records ({len(RECORDER.texts)} distinct texts), "
        f"secrets issued by the simulators: {counts or 'none'}"
    )
    for kind, places in sorted(accepted.items()):
        write(
            f"accepted: {kind} in the OAuth return URL (the browser's address), "
            f"logged by {_where(places)}",
            yellow=True,
        )
    if not found:
        write("no secret found in the logs")
    for kind, places in sorted(found.items()):
        write(
            f"FAILED: {kind} issued by the simulator, logged by {_where(places)}",
            red=True,
        )


def _where(places):
    return ", ".join(f"{name} ({level})" for name, level in sorted(places))
