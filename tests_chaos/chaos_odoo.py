"""Real Odoo processes and the database they share, seen from outside.

Odoo-free: the server is ``python3 -m odoo`` in prefork mode (real cron and
HTTP worker processes, Odoo's own time limits), the database is read with
psycopg2, users act through Odoo's JSON-RPC as the web client does.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal

import psycopg2
import requests
from psycopg2 import sql

CRON_XMLID = ("account_bank_sync", "ir_cron_bank_sync_import_transactions")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid):
    """Pids of the live child processes of ``pid`` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry))
    return sorted(out)


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# --- databases -----------------------------------------------------------------


def _admin_connection():
    conn = psycopg2.connect(dbname="postgres")
    conn.autocommit = True
    return conn


def copy_database(template, name, data_dir):
    """``CREATE DATABASE name TEMPLATE template`` and its filestore."""
    with contextlib.closing(_admin_connection()) as conn, conn.cursor() as cr:
        cr.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    source = os.path.join(data_dir, "filestore", template)
    if os.path.isdir(source):
        shutil.copytree(source, os.path.join(data_dir, "filestore", name))


def drop_database(name, data_dir):
    with contextlib.closing(_admin_connection()) as conn, conn.cursor() as cr:
        cr.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        cr.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    shutil.rmtree(os.path.join(data_dir, "filestore", name), ignore_errors=True)


class Database:
    """An autocommit connection to the campaign's database (it sees only what
    Odoo committed)."""

    def __init__(self, name):
        self.name = name
        self.conn = psycopg2.connect(dbname=name)
        self.conn.autocommit = True
        self.cron_id = self.one(
            "SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s",
            CRON_XMLID,
        )
        self._cron_ids = []

    def close(self):
        self.conn.close()

    def rows(self, query, args=()):
        with self.conn.cursor() as cr:
            cr.execute(query, args)
            return cr.fetchall() if cr.description else []

    def one(self, query, args=()):
        rows = self.rows(query, args)
        return rows[0][0] if rows else None

    # --- the scheduler -------------------------------------------------------------
    def make_links_due(self):
        """Every active connection due now, and the engine's count of
        unattended bank accesses forgotten (a day went by)."""
        self.rows("UPDATE bank_sync_link SET next_sync = NULL WHERE active")
        self.rows("UPDATE bank_sync_account SET unattended_syncs = NULL")

    def only_import_cron(self):
        """The other scheduled actions off: their runs would blur what the
        campaign measures (busy workers, run times)."""
        self.rows("UPDATE ir_cron SET active = false WHERE id <> %s", [self.cron_id])

    @property
    def cron_ids(self):
        """The import job and its copies (R3 runs two)."""
        return tuple(self._cron_ids or [self.cron_id])

    def park_cron(self):
        """The import job not due (it would run as soon as Odoo starts)."""
        self.rows(
            "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') "
            "+ interval '1 day' WHERE id IN %s",
            [self.cron_ids],
        )

    def make_cron_due(self):
        self.rows(
            "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') "
            "- interval '1 second', active = true WHERE id IN %s",
            [self.cron_ids],
        )

    def notify_cron(self):
        """What ``ir.cron._trigger()`` sends: wake the cron workers up."""
        with contextlib.closing(_admin_connection()) as conn, conn.cursor() as cr:
            cr.execute("NOTIFY cron_trigger, %s", [self.name])

    def cron_due(self):
        return bool(
            self.one(
                "SELECT count(*) FROM ir_cron WHERE id IN %s AND active AND "
                "(nextcall <= (now() AT TIME ZONE 'UTC') OR EXISTS ("
                " SELECT 1 FROM ir_cron_trigger WHERE cron_id = ir_cron.id"
                " AND call_at <= (now() AT TIME ZONE 'UTC')))",
                [self.cron_ids],
            )
        )

    def cron_pending(self):
        """Due, or a trigger waiting (the job asks to be run again soon)."""
        return self.cron_due() or bool(
            self.one(
                "SELECT count(*) FROM ir_cron_trigger WHERE cron_id IN %s",
                [self.cron_ids],
            )
        )

    def backends(self):
        """Odoo's connections to this database: ``[(os pid, state, query)]``."""
        rows = self.rows(
            "SELECT application_name, state, query, xact_start IS NOT NULL "
            "FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
            "AND application_name LIKE 'odoo-%%'",
            [self.name],
        )
        out = []
        for app, state, query, in_xact in rows:
            with contextlib.suppress(ValueError):
                out.append((int(app.split("-", 1)[1]), state, query or "", in_xact))
        return out

    def busy_pids(self):
        """Pids with a transaction open on this database."""
        return sorted({pid for pid, _s, _q, in_xact in self.backends() if in_xact})

    # --- what was imported -------------------------------------------------------
    def lines(self, journal_id):
        """``{bank_sync_ref: amount}`` of a journal (a duplicate keeps one)."""
        return {
            ref: Decimal(amount).quantize(Decimal("0.01"))
            for ref, amount in self.rows(
                "SELECT bank_sync_ref, amount FROM account_bank_statement_line "
                "WHERE journal_id = %s",
                [journal_id],
            )
        }

    def line_count(self):
        return self.one("SELECT count(*) FROM account_bank_statement_line")

    def duplicates(self):
        """Lines beyond the first with the same provider id in one journal."""
        return self.one(
            "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n "
            "FROM account_bank_statement_line WHERE bank_sync_ref IS NOT NULL "
            "GROUP BY journal_id, bank_sync_ref HAVING count(*) > 1) d"
        )

    def links(self):
        rows = self.rows(
            "SELECT id, state, last_error_code, last_error_message, last_sync "
            "FROM bank_sync_link WHERE active ORDER BY id"
        )
        return {
            r[0]: {"state": r[1], "code": r[2], "message": r[3], "last_sync": r[4]}
            for r in rows
        }

    def accounts(self):
        rows = self.rows(
            "SELECT id, link_id, cursor_ref, last_sync FROM bank_sync_account"
        )
        return {
            r[0]: {"link_id": r[1], "cursor": r[2], "last_sync": r[3]} for r in rows
        }


# --- the server --------------------------------------------------------------------


class OdooServer:
    """``python3 -m odoo`` in prefork mode on free ports, its log in a file."""

    def __init__(
        self,
        build_dir,
        conf,
        db,
        logfile,
        workers=1,
        cron_threads=1,
        limit_time_real=120,
        limit_time_cpu=60,
        extra_args=(),
    ):
        self.build_dir, self.conf, self.db, self.logfile = build_dir, conf, db, logfile
        self.workers, self.cron_threads = workers, cron_threads
        self.limit_time_real, self.limit_time_cpu = limit_time_real, limit_time_cpu
        #: more options of the server (``--log-handler=...``)
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=180):
        self.port = free_port()
        args = [
            sys.executable,
            os.path.join(os.path.dirname(os.path.abspath(__file__)), "odoo_server.py"),
            "-c",
            self.conf,
            "-d",
            self.db,
            f"--workers={self.workers}",
            f"--max-cron-threads={self.cron_threads}",
            f"--limit-time-real={self.limit_time_real}",
            f"--limit-time-cpu={self.limit_time_cpu}",
            f"--http-port={self.port}",
            f"--gevent-port={free_port()}",
            "--http-interface=127.0.0.1",
            f"--logfile={self.logfile}",
            "--log-level=warn",
            "--log-handler=odoo.addons.base.models.ir_cron:INFO",
            "--log-handler=odoo.service.server:INFO",
            *self.extra_args,
        ]
        env = dict(os.environ, TZ="UTC")
        with open(self.logfile + ".out", "w") as out:
            self.proc = subprocess.Popen(
                args,
                cwd=self.build_dir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"Odoo exited ({self.proc.returncode}), see {self.logfile}"
                )
            with contextlib.suppress(requests.RequestException):
                answer = requests.get(f"{self.url}/web/login", timeout=5)
                if answer.status_code == 200 and len(self.workers_pids()) >= (
                    self.workers + self.cron_threads
                ):
                    return self
            time.sleep(0.5)
        raise RuntimeError(f"Odoo did not start in {timeout}s, see {self.logfile}")

    def workers_pids(self):
        """The worker processes (HTTP and cron), not the gevent server."""
        return [
            p for p in children(self.proc.pid) if cmdline(p).split()[2:3] != ["gevent"]
        ]

    def wait_respawn(self, gone, timeout=30):
        """Wait until the master replaced the killed worker ``gone``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.workers_pids()
            if gone not in pids and len(pids) >= self.workers + self.cron_threads:
                return pids
            time.sleep(0.1)
        raise RuntimeError(f"Odoo did not replace the worker {gone}")

    def stop(self):
        if not self.proc:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None

    def log_count(self, needle):
        try:
            with open(self.logfile, errors="replace") as handle:
                return sum(needle in line for line in handle)
        except OSError:
            return 0


class Rpc:
    """A logged-in web client session (JSON-RPC, as the browser calls)."""

    def __init__(self, url, db, login="admin", password="admin"):
        self.url = url
        self.session = requests.Session()
        answer = self._post(
            "/web/session/authenticate",
            {"db": db, "login": login, "password": password},
        )
        if not answer.get("uid"):
            raise RuntimeError(f"cannot log in as {login}")

    def _post(self, path, params, timeout=300):
        response = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params},
            timeout=timeout,
        )
        response.raise_for_status()
        body = response.json()
        if body.get("error"):
            data = body["error"].get("data") or {}
            raise RpcError(data.get("name", "?"), data.get("message", str(body)))
        return body.get("result")

    def call(self, model, method, *args, **kwargs):
        return self._post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def get(self, url, **kwargs):
        return self.session.get(url, timeout=60, **kwargs)


class RpcError(Exception):
    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message
