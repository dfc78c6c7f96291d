"""The figures of ``make bench`` (see bench/run.sh), in an Odoo process of its
own, with real commits, as a cron worker runs the import.

P1, for each size N (each on its own simulator account, connection and journal,
after an unreported warm-up):

- engine: N transactions queued at the simulator's bank, imported over HTTPS
  by the scheduled action "Bank Synchronization: import transactions", each
  pick-up of the job done as Odoo's cron workers do it (``_acquire_one_job``,
  ``_process_job``: chained batches, progress, rescheduling), until the job
  is idle until its next hourly call; the waits for the triggers it sets
  itself are not counted;
- bare: a batch ``create()`` of the same lines (the values the engine stored,
  read beforehand) on a second journal, in pages of the engine's page size,
  committed per page: the lower bound of an import, in the same run.

P2: a job run an hour later (simulator clock) with nothing new: the HTTP
requests the simulator logged and the SQL queries of the run (net of a run
with nothing due), per account.

This is not part of the addon (no ``__init__.py``; Odoo never imports it).
"""

# pylint: disable=print-used,invalid-commit

import argparse
import collections
import re
import sys
import threading
import time

import bench_report
from bench_tools import Clock, QueryCounter, Simulator, page_size

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
#: job runs of one import at most; job runs in a row without a new line
#: (stalled); immediate "next hourly calls" when the cron went idle before
#: the end; the longest wait for a trigger the cron set itself (seconds)
MAX_JOB_RUNS, MAX_STALLED, MAX_HOURLY, TRIGGER_WAIT = 1000, 5, 2, 120


class Bench:
    def __init__(self, registry, sim, budget=None):
        self.registry, self.sim, self.budget = registry, sim, budget
        self.page = page_size()
        self.accounts = {a["key"]: a for a in sim.seed()["accounts"]}
        self.link_ids = []
        with registry.cursor() as cr:
            self.cron_id = self.env(cr).ref(CRON_XMLID).id

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
                    "code": "ponto",
                    "ponto_profile": "ponto_api",
                    "api_base_url": seed["api_url"],
                    "ca_bundle": ca,
                    "client_id": seed["custom_client"][0],
                    "client_secret": seed["custom_client"][1],
                    "company_id": company.id,
                }
            )
            provider.action_refresh_institutions()
            # the simulator finishes a synchronization within a few polls
            env["ir.config_parameter"].set_param(
                "account_bank_sync.sync_poll_interval", "0.2"
            )
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
        """The connections are due, and the cron triggered (a cron worker
        picks it up at once)."""
        with self.registry.cursor() as cr:
            env = self.env(cr)
            links = env["bank.sync.link"].browse(link_ids)
            links.write({"auto_sync": True, "next_sync": fields.Datetime.now()})
            env.ref(CRON_XMLID)._trigger()

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

    def trigger(self):
        with self.registry.cursor() as cr:
            self.env(cr).ref(CRON_XMLID)._trigger()

    def job_run(self):
        """One pick-up of the import job by a cron worker: what
        ``ir.cron._process_jobs`` does for this job (up to
        MAX_BATCH_PER_CRON_JOB batches, then rescheduled). Returns
        ``(seconds, batches)``, None when the job is not ready."""
        cron_model = self.registry["ir.cron"]
        db = odoo.sql_db.db_connect(self.registry.db_name)
        with db.cursor() as cron_cr:
            job = cron_model._acquire_one_job(cron_cr, self.cron_id)
            if not job:
                return None
            last = job.get("progress_id") or 0
            start = time.perf_counter()
            cron_model._process_job(db, cron_cr, job)
            seconds = time.perf_counter() - start
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM ir_cron_progress WHERE cron_id = %s AND id > %s",
                (self.cron_id, last),
            )
            return seconds, cr.fetchone()[0]

    def next_call_in(self):
        """Seconds until the job is ready again (its earliest trigger or its
        next regular call)."""
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT EXTRACT(EPOCH FROM LEAST(c.nextcall, min(t.call_at)) "
                "    - (now() AT TIME ZONE 'UTC')) "
                "FROM ir_cron c LEFT JOIN ir_cron_trigger t ON t.cron_id = c.id "
                "WHERE c.id = %s GROUP BY c.nextcall",
                (self.cron_id,),
            )
            return float(cr.fetchone()[0])

    def run_cron(self, journal_id, expected):
        """Job runs as cron workers would do them, until the cron is idle
        until its next regular (hourly) call: waiting for the triggers it
        sets itself (idle time, not counted as the engine's), and calling it
        at once, as the next hourly call would, while lines are missing."""
        runs, idle, hourly, stalled = [], 0.0, 0, 0
        lines = self.line_count(journal_id)
        while len(runs) < MAX_JOB_RUNS:
            run = self.job_run()
            if run is None:
                wait = self.next_call_in()
                if wait <= TRIGGER_WAIT:
                    time.sleep(max(0.0, wait) + 0.2)
                    idle += max(0.0, wait) + 0.2
                    continue
                if lines >= expected:
                    return runs, idle, hourly, None
                if hourly >= MAX_HOURLY:
                    return (
                        runs,
                        idle,
                        hourly,
                        (f"{lines}/{expected} lines after {hourly} more hourly calls"),
                    )
                hourly += 1
                self.trigger()
                continue
            runs.append(run)
            count = self.line_count(journal_id)
            stalled = 0 if count > lines else stalled + 1
            lines = count
            if stalled >= MAX_STALLED:
                return (
                    runs,
                    idle,
                    hourly,
                    (
                        f"stalled at {lines}/{expected} lines: "
                        f"{stalled} job runs without a new line"
                    ),
                )
        return runs, idle, hourly, f"{lines}/{expected} lines after {len(runs)} runs"

    # --- P1 -------------------------------------------------------------------

    def engine(self, key, code, size):
        account_ref, link_id, journal_id, bare_id = self.connect(key, code, size)
        self.sim.queue(account_ref, size)
        self.make_due([link_id])
        with Clock(self.registry) as clock:
            runs, idle, hourly, problem = self.run_cron(journal_id, size)
        clock.wall -= idle
        with self.registry.cursor() as cr:
            env = self.env(cr)
            lines = env["account.bank.statement.line"].search(
                [("journal_id", "=", journal_id)], order="id"
            )
            refs = lines.mapped("bank_sync_ref")
            values = lines.read(list(COPIED_FIELDS), load=None)
            link = env["bank.sync.link"].browse(link_id)
            state, cursor = link.state, link.online_account_ids.cursor_ref
        if len(refs) != size or len(set(refs)) != size:
            problem = problem or (
                f"{len(refs)} lines ({len(set(refs))} distinct ids) for {size}"
            )
        if not cursor and not problem:
            problem = "the import cursor did not move"
        return {
            "size": size,
            "engine": clock.measures(commits=self.commits(journal_id)),
            "runs": runs,
            "idle": idle,
            "hourly": hourly,
            "problem": problem,
            "state": state,
            "values": values,
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
        """A job run an hour later (simulator clock, for the tokens and the
        refresh window) with every connection due and nothing new at the
        bank; and, to subtract, a job run with no connection due."""
        self.sim.call("POST", "advance", {"seconds": 3600})
        self.sim.call("POST", "knobs", {"sync_polls": 2})  # the default again
        self.trigger()
        with QueryCounter() as empty:
            self.job_run()
        self.make_due(self.link_ids)
        before = self.line_count()
        self.sim.reset_requests()
        with QueryCounter() as queries:
            run = self.job_run()
        log = self.sim.requests_log()
        added = self.line_count() - before
        with self.registry.cursor() as cr:
            env = self.env(cr)
            links = env["bank.sync.link"].browse(self.link_ids)
            states = collections.Counter(links.mapped("state"))
            accounts = len(links.online_account_ids)
            failures = env.ref(CRON_XMLID).failure_count
        kinds = collections.Counter(
            "{} {} -> {}".format(
                r["method"], UUID.sub("{id}", r.get("route") or r["path"]), r["status"]
            )
            for r in log
        )
        return {
            "seconds": run[0] if run else 0.0,
            "failed": run is None or failures > 0 or set(states) != {"connected"},
            "states": dict(states),
            "requests": len(log),
            "kinds": kinds,
            "queries": queries.count,
            "empty_queries": empty.count,
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
