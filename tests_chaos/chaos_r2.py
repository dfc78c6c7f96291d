"""R2 kills: the import cron of a real prefork Odoo server is SIGKILLed at
chosen and random moments; after a final clean run the journals equal the
simulator and no refresh token was lost.

Kill moments (each round picks one, every kind comes back in turn):
- ``random``   a random delay after the cron was woken up;
- ``paging``   while a transactions page is in flight (the simulator holds it:
               ``slow`` fault), after the earlier pages were read;
- ``insert``   while Odoo inserts statement lines or their moves, or just
               after, before the commit (the batch ``create()``: its last
               query, seen in pg_stat_activity);
- ``cursor``   right after Odoo wrote an online account (its cursor, last
               sync), before the commit;
- ``commit``   right after new lines became visible to another connection
               (they were just committed: the cursor write comes next);
- ``refresh``  50 to 300 ms after the simulator answered a refresh-token grant
               (the access tokens were expired at the simulator for that
               round).
Between rounds the bank gets new transactions, sometimes the access tokens
expire, and some rounds also carry a fault (a 500 on a page, a 429, a slow
answer) that the next rounds have to absorb.
"""

import os
import signal
import time

from chaos_campaign import Campaign, log
from chaos_sim import in_flight, wait_for

MODES = ("random", "paging", "insert", "cursor", "commit", "refresh")
TRANSACTIONS = "/accounts/*/transactions"
FAULTS = (
    {"kind": "500", "method": "GET", "path": TRANSACTIONS, "times": 1},
    {"kind": "503", "method": "GET", "path": TRANSACTIONS, "times": 1},
    {"kind": "429", "method": "POST", "path": "/synchronizations", "times": 1},
    {"kind": "slow", "method": "GET", "path": "/accounts/*", "delay": 1.0, "times": 2},
    {"kind": "drop", "method": "GET", "path": TRANSACTIONS, "times": 1},
)


class KillCampaign(Campaign):
    name = "r2_kills"
    # Ponto Connect tokens expire quickly in simulator time: advance() makes
    # every access token stale, so refreshes (rotations) happen in the campaign
    sim_knobs = {"access_ttl_s": 1799}

    def __init__(self, settings, kills=20):
        super().__init__(settings)
        self.kills = kills

    def run(self):
        f = self.figures
        order = []
        rounds = 0
        while f.counts.get("kills", 0) < self.kills and rounds < self.kills * 3:
            rounds += 1
            if not order:
                order = list(MODES)
                self.rng.shuffle(order)
            mode = order.pop()
            self.one_round(rounds, mode)
        f.counts["rounds"] = rounds
        if f.counts.get("kills", 0) < self.kills:
            f.fail(f"only {f.counts.get('kills', 0)} kills hit a busy worker")
        self.final_check()
        skipped = self.server.log_count("timed out")
        f.counts["odoo_skipped_timed_out_runs"] = skipped
        return f

    def one_round(self, number, mode):
        f, sim, db = self.figures, self.sim, self.db
        self.queue_some()
        if mode == "refresh" or self.rng.random() < 0.2:
            sim.advance(self.sim_knobs["access_ttl_s"] + 60)
            f.add("token_expiries")
        if mode != "refresh" and self.rng.random() < 0.3:
            fault = dict(self.rng.choice(FAULTS))
            sim.add_fault(**fault)
            f.add("faults")
        delay = None
        if mode == "paging":
            delay = self.rng.uniform(0.5, 2.0)
            sim.add_fault(
                kind="slow", method="GET", path=TRANSACTIONS, delay=delay + 1, times=1
            )
        lines_before = db.line_count()
        db.make_links_due()
        db.make_cron_due()
        started = time.monotonic()
        condition = self.condition(mode, lines_before, started, delay)
        last_notify = 0.0
        target = None
        while time.monotonic() - started < 30:
            if time.monotonic() - last_notify > 1.0 and db.cron_due():
                db.notify_cron()
                last_notify = time.monotonic()
            target = condition()
            if target:
                break
            if time.monotonic() - started > 0.5 and self.cron_idle():
                break  # the run is over
            time.sleep(0.01)
        busy = db.busy_pids()
        pid = (
            target
            if type(target) is int  # a pid, not True
            else (busy[0] if busy else None)
        )
        if pid is None or pid not in self.server_pids():
            f.add("missed")
            log(
                f"round {number} ({mode}): nothing to kill after "
                f"{time.monotonic() - started:.2f}s (condition {target!r}, busy "
                f"{busy}, cron due {db.cron_due()})"
            )
            wait_for(self.cron_idle, 300)
            self.settle()
            return
        doing = sorted(
            (
                q.lstrip().startswith("WITH last_cron_progress"),
                s,
                " ".join(q.split())[:70],
            )
            for p, s, q, in_xact in db.backends()
            if p == pid and in_xact
        )
        os.kill(pid, signal.SIGKILL)
        elapsed = time.monotonic() - started
        f.add("kills")
        f.add(f"kills_{mode}")
        self.server.wait_respawn(pid)
        self.wait_idle()
        lines_after = db.line_count()
        log(
            f"round {number}: kill {f.counts['kills']} ({mode}) at {elapsed:.2f}s, "
            f"pid {pid} {doing[0][1:] if doing else 'idle'}, "
            f"lines {lines_before}->{lines_after}"
        )
        self.settle()

    def settle(self):
        """Between rounds: remaining faults off, the request log accounted."""
        self.sim.clear_faults()
        self.sim.collect()

    def condition(self, mode, lines_before, started, delay):
        """A callable returning a pid (or True) when it is time to kill."""
        db, sim = self.db, self.sim
        if mode == "random":
            when = started + self.rng.uniform(0.2, 6.0)
            return lambda: time.monotonic() >= when and bool(db.busy_pids())
        if mode == "paging":
            state = {}

            def paging():
                if "since" not in state:
                    if in_flight(sim.requests_log(), "GET", TRANSACTIONS):
                        state["since"] = time.monotonic()
                    return None
                return time.monotonic() - state["since"] >= delay * self.rng.random()

            return paging
        if mode in ("insert", "cursor"):
            heads = (
                (
                    'insert into "account_bank_statement_line"',
                    'insert into "account_move"',
                )
                if mode == "insert"
                else ('update "bank_sync_account"',)
            )

            def last_query():
                for pid, _state, query, in_xact in db.backends():
                    if in_xact and query.lstrip()[:60].lower().startswith(heads):
                        return pid
                return None

            return last_query
        if mode == "commit":
            return lambda: db.line_count() > lines_before
        if mode == "refresh":
            # Between the provider's answer and the durable write of the new
            # token lies a window no design can close (the provider burnt the
            # old one): the kill comes 50 to 300 ms after the answer, when
            # the token must already be stored ("at once"), and long before
            # the end of the page or of the connection.
            after = self.rng.uniform(0.05, 0.3)
            seen = {}

            def refreshed():
                if "at" in seen:
                    return time.monotonic() >= seen["at"] + after
                for rec in sim.requests_log():
                    if (
                        rec["route"].endswith("/oauth2/token")
                        and "grant_type=refresh_token" in (rec.get("body") or "")
                        and rec["status"] == 200
                    ):
                        seen["at"] = time.monotonic()
                return None

            return refreshed
        raise ValueError(mode)


def run(settings, kills):
    with KillCampaign(settings, kills=kills) as campaign:
        return campaign.run()
