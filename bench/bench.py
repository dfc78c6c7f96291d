"""The figures of ``make bench`` (see bench/run.sh), in an Odoo process of its
own, with real commits, as a cron worker runs the import.

P1, for each size N (each on its own simulator account, connection and journal):

- engine: N transactions queued at the simulator's bank, imported by the
  scheduled action "Bank Synchronization: import transactions" run as
  ``ir.cron`` runs it (one batch = ``_add_progress`` + ``_callback`` in a
  fresh cursor, called again while it reports work remaining or the
  connection is still due), over HTTPS;
- bare: a batch ``create()`` of the same lines (the values the engine stored,
  read beforehand) on a second journal, in pages of the engine's page size,
  committed per page: the lower bound of an import, in the same run.

P2: one more cron batch an hour later (simulator clock) with nothing new: the
HTTP requests the simulator logged and the SQL queries of the batch, per
account.

This is not part of the addon (no ``__init__.py``; Odoo never imports it).
"""

# pylint: disable=print-used,invalid-commit

import argparse
import collections
import os
import re
import sys
import threading
import time

import bench_report
import requests

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.modules.registry import Registry

CRON_XMLID = "account_bank_sync.ir_cron_bank_sync_import_transactions"
BUDGET_PARAM = "account_bank_sync.cron_time_budget"
# The sizes run on these simulator accounts, in this order (EUR accounts);
# the warm-up (caches, first connections; not reported) on the USD account.
ACCOUNT_KEYS = ("kbc-savings", "bnp-checking", "kbc-checking")
WARMUP_KEY, WARMUP_SIZE = "bnp-usd", 100
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
COPIED_FIELDS = (
    "date",
    "amount",
    "payment_ref",
    "partner_name",
    "account_number",
    "transaction_type",
    "transaction_details",
    "partner_id",
    "bank_sync_ref",
)
MAX_BATCHES = 500


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


class Bench:
    def __init__(self, registry, sim, budget=None):
        self.registry, self.sim, self.budget = registry, sim, budget
        self.page = page_size()
        self.accounts = {a["key"]: a for a in sim.seed()["accounts"]}
        self.link_ids = []

    def env(self, cr, context=None):
        return api.Environment(cr, SUPERUSER_ID, context or {})

    # --- setup ----------------------------------------------------------------

    def setup(self):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            company = env.company
            euro = env.ref("base.EUR")
            euro.active = True
            if company.currency_id != euro and not env["account.move.line"].search(
                [], limit=1
            ):
                company.currency_id = euro
            company.country_id = env.ref("base.be")
            with open(self.sim.ca_file) as handle:
                ca = handle.read()
            seed = self.sim.seed()
            provider = env["bank.sync.provider"].create(
                {
                    "name": "Ponto (bench simulator)",
                    "provider_type": "ponto",
                    "ponto_profile": "ponto_api",
                    "environment": "simulator",
                    "api_base_url": seed["api_url"],
                    "ca_bundle": ca,
                    "client_id": seed["custom_client"][0],
                    "client_secret": seed["custom_client"][1],
                    "company_id": company.id,
                }
            )
            provider.action_refresh_institutions()
            if self.budget is not None:
                env["ir.config_parameter"].set_param(BUDGET_PARAM, str(self.budget))
            self.provider_id = provider.id
            self.budget_shown = env["ir.config_parameter"].get_param(BUDGET_PARAM)

    def journal(self, env, code, name, currency, iban=False):
        company_currency = env.company.currency_id
        return env["account.journal"].create(
            {
                "name": name,
                "code": code,
                "type": "bank",
                "currency_id": currency.id if currency != company_currency else False,
                "bank_acc_number": iban,
                "bank_statements_source": "online_sync" if iban else "undefined",
            }
        )

    def connect(self, key, code, size):
        """A connected link (not due yet) with one mapped account, its journal,
        and a journal for the bare baseline (both in the account's currency)."""
        info = self.accounts[key]
        with self.registry.cursor() as cr:
            env = self.env(cr)
            provider = env["bank.sync.provider"].browse(self.provider_id)
            institution = env["bank.sync.institution"].search(
                [
                    ("provider_id", "=", provider.id),
                    ("provider_ref", "=", info["institution_id"]),
                ],
                limit=1,
            )
            link = env["bank.sync.link"].create(
                {
                    "provider_id": provider.id,
                    "institution_id": institution.id,
                    "company_id": provider.company_id.id,
                    "state": "connected",
                    "auto_sync": False,
                }
            )
            currency = env.ref(f"base.{info['currency']}")
            currency.active = True
            journal = self.journal(
                env, f"E{code}", f"Engine {size}", currency, iban=info["iban"]
            )
            bare = self.journal(env, f"B{code}", f"Bare create {size}", currency)
            env["bank.sync.account"].create(
                {
                    "link_id": link.id,
                    "provider_ref": info["id"],
                    "name": info["key"],
                    "iban": info["iban"],
                    "currency_id": currency.id,
                    "journal_id": journal.id,
                }
            )
            self.link_ids.append(link.id)
            return info["id"], link.id, journal.id, bare.id

    def make_due(self, link_ids):
        with self.registry.cursor() as cr:
            links = self.env(cr)["bank.sync.link"].browse(link_ids)
            links.write({"auto_sync": True, "next_sync": fields.Datetime.now()})

    def line_count(self, journal_id=None):
        domain = [("journal_id", "=", journal_id)] if journal_id else []
        with self.registry.cursor() as cr:
            return self.env(cr)["account.bank.statement.line"].search_count(domain)

    def commits(self, journal_id):
        """Distinct transactions (create_date) the lines of a journal came in,
        and the seconds each took, in order."""
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT create_date, count(*) FROM account_bank_statement_line "
                "WHERE journal_id = %s GROUP BY create_date ORDER BY create_date",
                (journal_id,),
            )
            return cr.fetchall()

    # --- the cron -------------------------------------------------------------

    def cron_batch(self):
        """One batch of the import cron, as ``ir.cron._run_job`` runs it.
        Returns (seconds, done, remaining, failed, SQL queries of the job)."""
        with self.registry.cursor() as cr:
            env = self.env(cr)
            cron = env.ref(CRON_XMLID)
            env = api.Environment(
                cr,
                cron.user_id.id,
                {"lastcall": cron.lastcall, "cron_id": cron.id},
            )
            cron = env["ir.cron"].browse(cron.id)
            cron, progress = cron._add_progress()
            cr.commit()
            failed = False
            start = time.perf_counter()
            with QueryCounter() as queries:
                try:
                    cron._callback(cron.cron_name, cron.ir_actions_server_id.id)
                except Exception:  # logged by _callback, as ir.cron does
                    failed = True
                cr.commit()
            seconds = time.perf_counter() - start
            return seconds, progress.done, progress.remaining, failed, queries.count

    def link_due(self, link_id):
        with self.registry.cursor() as cr:
            links = self.env(cr)["bank.sync.link"]
            return bool(
                links.search_count(
                    [("id", "=", link_id), *links._cron_due_domain()], limit=1
                )
            )

    def run_cron(self, link_id, journal_id, expected):
        """Cron batches until the import is complete or nothing is due."""
        batches, jobs = [], 1
        while len(batches) < MAX_BATCHES:
            seconds, done, remaining, failed, _queries = self.cron_batch()
            batches.append(seconds)
            if failed:
                return batches, jobs, "a cron batch failed (see the log above)"
            if done and remaining:
                continue  # ir.cron calls it again at once
            if self.line_count(journal_id) >= expected:
                return batches, jobs, None
            if not self.link_due(link_id):
                return batches, jobs, "the connection is no longer due"
            jobs += 1  # the next pick-up of the job (a trigger or nextcall)
        return batches, jobs, f"still incomplete after {MAX_BATCHES} batches"

    # --- P1 -------------------------------------------------------------------

    def engine(self, key, code, size):
        account_ref, link_id, journal_id, bare_id = self.connect(key, code, size)
        self.sim.queue(account_ref, size)
        self.make_due([link_id])
        with Clock(self.registry) as clock:
            batches, jobs, problem = self.run_cron(link_id, journal_id, size)
        with self.registry.cursor() as cr:
            env = self.env(cr)
            lines = env["account.bank.statement.line"].search(
                [("journal_id", "=", journal_id)], order="id"
            )
            refs = lines.mapped("bank_sync_ref")
            values = lines.read(list(COPIED_FIELDS), load=None)
            link = env["bank.sync.link"].browse(link_id)
            state = link.state
            cursor = link.online_account_ids.cursor_ref
        if len(refs) != size or len(set(refs)) != size:
            problem = problem or (
                f"{len(refs)} lines ({len(set(refs))} distinct ids) for {size}"
            )
        return {
            "size": size,
            "engine": clock.measures(commits=self.commits(journal_id)),
            "batches": batches,
            "jobs": jobs,
            "problem": problem,
            "state": state,
            "cursor": bool(cursor),
            "values": values,
            "journal_id": journal_id,
            "bare_id": bare_id,
        }

    def bare(self, values, journal_id):
        """The same lines, one batch create() per page, committed per page."""
        for vals in values:
            vals.pop("id", None)
            vals["journal_id"] = journal_id
        with Clock(self.registry) as clock, self.registry.cursor() as cr:
            env = self.env(cr)
            lines = env["account.bank.statement.line"]
            for first in range(0, len(values), self.page):
                lines.create(values[first : first + self.page])
                cr.commit()
                env.invalidate_all()
        return clock.measures(commits=self.commits(journal_id))

    # --- P2 -------------------------------------------------------------------

    def nothing_new(self):
        """One cron batch an hour later with nothing new at the bank."""
        self.sim.call("POST", "advance", {"seconds": 3600})
        self.sim.call("POST", "knobs", {"sync_polls": 2})  # the default again
        self.make_due(self.link_ids)
        before = self.line_count()
        self.sim.reset_requests()
        seconds, _done, _remaining, failed, queries = self.cron_batch()
        log = self.sim.requests_log()
        added = self.line_count() - before
        with self.registry.cursor() as cr:
            accounts = self.env(cr)["bank.sync.account"].search_count(
                [("link_id", "in", self.link_ids)]
            )
        kinds = collections.Counter(
            "{} {} -> {}".format(
                r["method"], UUID.sub("{id}", r.get("route") or r["path"]), r["status"]
            )
            for r in log
        )
        return {
            "seconds": seconds,
            "failed": failed,
            "requests": len(log),
            "kinds": kinds,
            "queries": queries,
            "accounts": accounts,
            "links": len(self.link_ids),
            "added": added,
        }


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--sim-url", required=True)
    parser.add_argument("--sim-ca", required=True)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--budget", type=float)
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",") if n.strip()]
    if not sizes or len(sizes) > len(ACCOUNT_KEYS) or min(sizes) < 1:
        sys.exit(f"BENCH_N: 1 to {len(ACCOUNT_KEYS)} positive sizes, comma separated")

    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db])
    odoo.netsvc.init_logger()
    threading.current_thread().dbname = args.db
    registry = Registry(args.db)
    bench = Bench(registry, Simulator(args.sim_url, args.sim_ca), args.budget)
    bench.setup()
    print(f"Warm-up: {WARMUP_SIZE} lines, engine and bare (not reported)", flush=True)
    res = bench.engine(WARMUP_KEY, "W", WARMUP_SIZE)
    bench.bare(res.pop("values"), res["bare_id"])
    if res["problem"]:
        print(f"WARNING: warm-up: {res['problem']}")
    results = []
    for index, size in enumerate(sizes):
        print(f"P1 N={size}: engine (cron over HTTPS)...", flush=True)
        res = bench.engine(ACCOUNT_KEYS[index], index, size)
        print(f"P1 N={size}: bare create()...", flush=True)
        res["bare"] = bench.bare(res.pop("values"), res["bare_id"])
        results.append(res)
    print("P2: a sync with nothing new...", flush=True)
    p2 = bench.nothing_new()
    print()
    print("\n".join(bench_report.lines(results, p2, bench.budget_shown)))
    problems = [r for r in results if r["problem"]]
    return 1 if problems or p2["failed"] or p2["added"] else 0


if __name__ == "__main__":
    sys.exit(main())
