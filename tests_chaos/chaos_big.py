"""A large first import under Odoo's time limits.

One Ponto Connect connection, one account whose bank suddenly shows
``count`` new transactions (10,000 in ``make chaos``), a prefork server with
``--limit-time-real`` (120 s) and ``--limit-time-cpu`` (half of it). The job is
run again and again, as the scheduler would every hour, until the journal
holds every transaction. Passes when the import completes, no run was killed
by Odoo's limits nor overran ``limit_time_real``, and the cursor and the lines
agree with the simulator after every run (no line twice; the cursor at the
newest transaction once complete). Fails when three runs in a row bring no
new line, or after ``max_runs``.
"""

import time

from chaos_campaign import Campaign, log


class BigImportCampaign(Campaign):
    name = "big_import"
    profiles = ("ponto_connect",)
    banks = ("kbc",)

    def __init__(self, settings, count=10000, limit_time_real=120, max_runs=40):
        super().__init__(settings)
        self.count, self.max_runs = count, max_runs
        self.limit_time_real = limit_time_real
        self.limit_time_cpu = max(10, limit_time_real // 2)

    def select_accounts(self, accounts):
        return {"kbc": [acc for acc in accounts["kbc"] if acc["key"] == "kbc-savings"]}

    def attempt(self, timeout):
        """One pick-up of the job by a cron worker: from the trigger until no
        transaction of Odoo is open any more, or until Odoo replaced a worker
        (killed by its limits). Returns (seconds or None, killed pids)."""
        db = self.db
        db.make_links_due()
        db.make_cron_due()
        pids = set(self.server_pids())
        started = time.monotonic()
        last_notify, seen_busy, idle_since = 0.0, False, None
        while (now := time.monotonic()) - started < timeout:
            gone = sorted(pids - set(self.server_pids()))
            if gone:
                self.server.wait_respawn(gone[0])
                return now - started, gone
            busy = db.busy_pids()
            seen_busy = seen_busy or bool(busy)
            if not busy and now - last_notify > 1.0 and db.cron_due():
                db.notify_cron()
                last_notify = now
            if busy or not seen_busy:
                idle_since = None
            elif idle_since is None:
                idle_since = now
            elif now - idle_since > 0.5:
                return idle_since - started, []
            time.sleep(0.1)
        return None, []

    def run(self):
        f, db, sim = self.figures, self.db, self.sim
        acc = self.accounts[0]
        sim.queue(acc["account_ref"], self.count)
        f.counts.update(transactions=self.count, limit_time_real=self.limit_time_real)
        stalled, runs, longest = 0, 0, 0.0
        budget = db.one(
            "SELECT value FROM ir_config_parameter WHERE key = %s",
            ["account_bank_sync.cron_time_budget"],
        )
        f.counts["cron_time_budget"] = budget or "default"
        expected = None
        while runs < self.max_runs:
            runs += 1
            before = len(db.lines(acc["journal_id"]))
            took, killed = self.attempt(timeout=self.limit_time_real * 2)
            after = len(db.lines(acc["journal_id"]))
            longest = max(longest, took or 0)
            sim.collect()
            dups = db.duplicates()
            log(
                f"{self.name}: job run {runs}: {took and round(took, 1)}s, lines "
                f"{before} -> {after}, workers replaced {killed}, duplicates {dups}"
            )
            if killed:
                f.add("runs_killed_by_odoo")
            if took is None or took > self.limit_time_real:
                f.add("runs_over_limit")
            if dups:
                f.fail(f"run {runs}: {dups} lines imported twice")
            expected = sim.booked(acc["account_ref"])
            if len(expected) >= self.count and after >= len(expected):
                break
            stalled = stalled + 1 if after <= before else 0
            if stalled >= 3:
                f.fail(
                    f"no progress in 3 runs in a row ({after} of {len(expected)} lines)"
                )
                break
        f.counts.update(runs=runs, longest_run_s=round(longest, 1))
        lines = db.lines(acc["journal_id"])
        newest = next(iter(expected), None) if expected else None
        cursor = db.accounts()[acc["account_id"]]["cursor"]
        f.counts["lines"] = len(lines)
        if expected and set(lines) != set(expected):
            f.fail(
                f"{len(lines)} lines for {len(expected)} booked "
                f"({len(set(expected) - set(lines))} missing)"
            )
        elif cursor != newest:
            f.fail(f"the cursor is {cursor}, the newest transaction {newest}")
        for key in ("runs_killed_by_odoo", "runs_over_limit"):
            if f.counts.get(key):
                f.fail(f"{f.counts[key]} runs {key[5:].replace('_', ' ')}")
        f.counts["odoo_limit_kills_logged"] = self.server.log_count(
            "timeout after"
        ) + self.server.log_count("CPU time limit (")
        return f


def run(settings, count, limit_time_real=120):
    started = time.monotonic()
    with BigImportCampaign(
        settings, count=count, limit_time_real=limit_time_real
    ) as campaign:
        figures = campaign.run()
    figures.counts["campaign_s"] = round(time.monotonic() - started)
    return figures
