"""The measuring tools of ``make bench`` (bench.py): the simulator's control
API, the wall / CPU / database clock, the SQL query counter. Not part of the
addon (Odoo never imports it)."""

import os
import threading
import time

import requests


def page_size():
    """The engine's page size: the Ponto client's page limit."""
    try:
        from odoo.addons.account_bank_sync.clients.ponto import PAGE_LIMIT_MAX
    except ImportError:
        return 100
    return PAGE_LIMIT_MAX


class Simulator:
    """The simulator's HTTP control surface (/_sim/*)."""

    def __init__(self, url, ca_file):
        self.url, self.ca_file = url.rstrip("/"), ca_file
        self.session = requests.Session()

    def call(self, method, path, json=None):
        # verify= on each call: a session's verify loses to REQUESTS_CA_BUNDLE
        response = self.session.request(
            method,
            f"{self.url}/_sim/{path}",
            json=json,
            timeout=300,
            verify=self.ca_file,
        )
        response.raise_for_status()
        return response.json()

    def seed(self):
        return self.call("GET", "seed")

    def queue(self, account_id, count):
        return self.call("POST", f"bank/{account_id}/transactions", {"count": count})

    def requests_log(self):
        return self.call("GET", "requests")["requests"]

    def reset_requests(self):
        self.call("DELETE", "requests")


class Clock:
    """Wall time, and CPU time: this process's and its PostgreSQL backends'
    (``db_cpu``, None when they are not local processes); the simulator runs
    in a process of its own. CPU time hardly moves when other work shares
    the machine, wall time does."""

    def __init__(self, registry):
        self.registry = registry

    def db_cpu(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                [f"odoo-{os.getpid()}"],
            )
            pids = [pid for (pid,) in cr.fetchall()]
        ticks = {}
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as handle:
                    stat = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                return None
            ticks[pid] = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
        return ticks

    def __enter__(self):
        self._db = self.db_cpu()
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu
        db = self.db_cpu()
        self.db = (
            None
            if db is None or self._db is None
            else sum(t - self._db.get(pid, 0.0) for pid, t in db.items())
        )

    def measures(self, **more):
        return {"wall": self.wall, "cpu": self.cpu, "db": self.db, **more}


class QueryCounter:
    """SQL queries of every cursor of this thread (Odoo's per-thread counter,
    the one behind the ``query_count`` of its request log lines)."""

    def __enter__(self):
        thread = threading.current_thread()
        thread.query_count, thread.query_time = 0, 0.0
        self.count = 0
        return self

    def __exit__(self, *exc):
        thread = threading.current_thread()
        self.count = thread.query_count
        del thread.query_count, thread.query_time
