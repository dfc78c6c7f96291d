"""A large first import under Odoo's time limits.

One Ponto Connect connection, one account whose bank suddenly shows
``count`` new transactions (10,000 in ``make chaos``), a prefork server with
``--limit-time-real`` (120 s) and ``--limit-time-cpu`` (half of it). The job is
run again and again, as the scheduler would every hour, until the journal
holds every transaction (when the job is neither due nor asked for again,
the campaign makes it due: the next hourly run). Passes when the import
completes, no worker was killed by Odoo's limits and no job run (watched as
the transaction holding the job's row) lasted longer than ``limit_time_real``,
and the journal and the cursor then agree with the simulator (no line twice,
the cursor at the newest transaction). Fails when Odoo killed three workers
without a new line in between, or nothing new came for 3 x the limit.
"""

import time

from chaos_campaign import Campaign, log


class BigImportCampaign(Campaign):
    name = "big_import"
    profiles = ("ponto_connect",)
    banks = ("kbc",)

    def __init__(self, settings, count=10000, limit_time_real=120):
        super().__init__(settings)
        self.count = count
        self.limit_time_real = limit_time_real
        self.limit_time_cpu = max(10, limit_time_real // 2)

    def select_accounts(self, accounts):
        return {"kbc": [acc for acc in accounts["kbc"] if acc["key"] == "kbc-savings"]}

    def job_runs(self):
        """``{start of the job's lock transaction: pid}`` of the job runs in
        progress (Odoo holds the job's row for the whole run)."""
        return {
            start: pid
            for pid, start in self.db.rows(
                "SELECT application_name, xact_start FROM pg_stat_activity "
                "WHERE datname = %s AND xact_start IS NOT NULL "
                "AND pid <> pg_backend_pid() AND query LIKE %s",
                [self.db_name, "%last_cron_progress%"],
            )
        }

    def run(self):
        f, db, sim = self.figures, self.db, self.sim
        acc = self.accounts[0]
        sim.queue(acc["account_ref"], self.count)
        budget = db.one(
            "SELECT value FROM ir_config_parameter WHERE key = %s",
            ["account_bank_sync.cron_time_budget"],
        )
        f.counts.update(
            transactions=self.count,
            limit_time_real=self.limit_time_real,
            limit_time_cpu=self.limit_time_cpu,
            cron_time_budget=budget or "default",
        )
        runs = {}  # xact start -> [first seen, last seen]
        kills = rescheduled = 0
        kills_since_progress = 0
        lines = best = logged = 0
        expected = {}
        started = last_progress = last_notify = time.monotonic()
        pids = set(self.server_pids())
        db.make_links_due()
        db.make_cron_due()
        while True:
            now = time.monotonic()
            for start in self.job_runs():
                runs.setdefault(start, [now, now])[1] = now
            gone = pids - set(self.server_pids())
            if gone:
                kills += len(gone)
                kills_since_progress += len(gone)
                log(f"{self.name}: Odoo replaced worker(s) {sorted(gone)} (limits)")
                self.server.wait_respawn(min(gone))
                pids = set(self.server_pids())
            busy = db.busy_pids()
            if not busy and now - last_notify > 1.0:
                if not db.cron_pending():
                    # what the next hourly run would do
                    db.make_links_due()
                    db.make_cron_due()
                    rescheduled += 1
                if db.cron_due():
                    db.notify_cron()
                last_notify = now
            if now - last_progress > 2:
                lines = db.line_count()
                if lines > best:
                    best, last_progress, kills_since_progress = lines, now, 0
                    expected = sim.booked(acc["account_ref"])
                    if lines // 1000 > logged // 1000:
                        logged = lines
                        log(f"{self.name}: {lines} lines after {now - started:.0f}s")
                if lines >= self.count and lines >= len(expected) and not busy:
                    break
            if (
                kills_since_progress >= 3
                or now - last_progress > 3 * self.limit_time_real
            ):
                f.fail(
                    f"no progress: {lines} of {self.count} lines, "
                    f"{kills_since_progress} workers killed by Odoo since the last "
                    "new line"
                )
                break
            time.sleep(0.2)
        durations = [last - first for first, last in runs.values()]
        f.counts.update(
            job_runs=len(runs),
            longest_job_run_s=round(max(durations, default=0), 1),
            workers_killed_by_odoo=kills,
            harness_reschedules=rescheduled,
            import_s=round(time.monotonic() - started),
        )
        if kills:
            f.fail(f"{kills} cron workers were killed by Odoo's limits")
        if any(d > self.limit_time_real for d in durations):
            f.fail(f"a job run took {max(durations):.0f}s > limit_time_real")
        dups = db.duplicates()
        journal = db.lines(acc["journal_id"])
        expected = sim.booked(acc["account_ref"])
        newest = next(iter(expected), None)
        cursor = db.accounts()[acc["account_id"]]["cursor"]
        f.counts.update(lines=len(journal), duplicates=dups)
        if dups:
            f.fail(f"{dups} lines imported twice")
        if set(journal) != set(expected):
            f.fail(
                f"{len(journal)} lines for {len(expected)} booked "
                f"({len(set(expected) - set(journal))} missing)"
            )
        elif cursor != newest:
            f.fail(f"the cursor is {cursor}, the newest transaction {newest}")
        return f


def run(settings, count, limit_time_real=120):
    started = time.monotonic()
    with BigImportCampaign(
        settings, count=count, limit_time_real=limit_time_real
    ) as campaign:
        figures = campaign.run()
    figures.counts["campaign_s"] = round(time.monotonic() - started)
    return figures
