"""The fault campaign's runner, for every provider (R1: ``test_fault_campaign.py``
for Ponto, whose docstring explains the method; ``test_saltedge_fault_campaign.py``
for Salt Edge): each scenario a fault step and a clean step, each a ``subTest``;
the connections' states against what the scenario expects; every journal against
the simulator's booked transactions, none twice.

A provider's campaign is a test class on :class:`CampaignMixin` and its
provider's HTTP layer. Its ``setUp`` sets the stage (``links``, ``stage_links``:
the connections a scenario's ``link`` names, ``ids``: the account keys of the
scenarios, the accounts mapped, the first import) and it gives the hooks:

- ``booked(account)``: ``{provider id: amount}`` of what the simulator's
  provider shows the connection now, from the account's first import date on;
- ``queue(count, checking=0)``: new transactions at every bank, booked by the
  provider's next refresh (``checking`` more on the stage's main account);
- ``user_renews(link)``: the user's Renew through the provider's pages, back
  to Odoo, until connected;
- ``clear(knobs)``: the faults cleared, the knobs restored, the bank-side
  changes of the step undone;
- optional: ``before_run()`` (time passing between runs), ``stage_counts()``
  (what a scenario's ``check`` compares with), ``assert_clean_provider()``,
  ``heal_provider()`` and ``summary_extra()``.
"""

import logging
import os
import random
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from unittest.mock import patch
from urllib.parse import urlsplit

from odoo import fields

from odoo.addons.account_bank_sync.models import bank_sync_engine

_logger = logging.getLogger(__name__)
ROUNDS = int(os.environ.get("BANK_SYNC_CAMPAIGN_ROUNDS") or 0)
SEED = int(os.environ.get("BANK_SYNC_CAMPAIGN_SEED") or 7)
REPORT = os.environ.get("BANK_SYNC_CAMPAIGN_REPORT")
CENT = Decimal("0.01")

# Outcomes and reads: fault_scenarios.py says what each one means.
OK, TRANSIENT, MAINTENANCE = "ok", "transient", "maintenance"
ERROR, AUTH, EXPIRED, BAD_RECORD = "error", "auth", "expired", "bad_record"
CONFIGURATION = "configuration"
ALL, SUBSET, ALL_BUT_BAD = "all", "subset", "all_but_bad"
STATES = {
    OK: "connected",
    TRANSIENT: "connected",
    MAINTENANCE: "connected",
    ERROR: "error",
    AUTH: "error",
    CONFIGURATION: "error",
    BAD_RECORD: "error",
    EXPIRED: "expired",
}


@dataclass(frozen=True)
class Scenario:
    name: str
    inject: Callable  # inject(sim, ids) -> [faults] (fault_injections.py)
    #: the connection aimed at: a key of the stage's ``stage_links``
    link: str = "api"
    outcome: str = OK
    read: str = ALL
    #: the accounts the fault aims at (keys of the stage's ``ids``); () = all
    #: of the link; the others must be imported completely whatever happens
    accounts: tuple = ()
    recover: str = "run"  # "run", "renew" (consent) or "reconnect" (authorise)
    faulty_runs: int = 1
    defect: str = ""
    #: the client's read timeout on the wire during the faulty runs (seconds)
    wire_timeout: float = None
    #: the client's refresh poll timeout during the faulty runs (seconds; the
    #: engine gives it 5 s at least)
    poll_timeout: float = None
    slow: bool = False  # only with BANK_SYNC_CAMPAIGN_ROUNDS (make chaos)
    check: Callable = None  # check(case, before) after the faulty runs
    #: more transactions queued on "checking" for the fault step: 3 pages of 10
    queue_many: int = 0
    #: the error code the aimed connection records (None: not checked)
    code: str = None
    #: the refresh is refused though the outcome is ok: the provider must
    #: hold transactions not imported yet, and the read import them
    read_anyway: bool = False


class CampaignMixin:
    """The runner; the stage and the hooks are the provider's (module docstring)."""

    #: the client's read timeout on the wire, when a scenario shortens it
    wire_read_timeout = None
    #: the error codes of a bank in maintenance
    maintenance_codes = ()

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        limit, timeout = cls.wire_read_timeout, kw.get("timeout")
        loopback = urlsplit(r.url).hostname in ("127.0.0.1", "localhost")
        if limit and loopback and isinstance(timeout, tuple):
            kw["timeout"] = (timeout[0], min(timeout[1], limit))
        return super()._request_handler(s, r, **kw)

    def setUp(self):
        super().setUp()
        self.runs = self.duplicates = 0
        self.failed, self.tolerated, self.timings, self.injected = [], {}, [], []

    # --- hooks with a default -----------------------------------------------------

    def before_run(self):
        """Time passing before each scheduler run."""

    def stage_counts(self):
        return {}

    def assert_clean_provider(self):
        """The provider's own checks after a clean run."""

    def heal_provider(self):
        """The provider's side back to a known state after a failed step."""

    def summary_extra(self):
        return ""

    # --- the campaign ---------------------------------------------------------------

    def run_campaign(self, scenarios, label, at_least):
        """Every scenario (``slow`` ones with rounds only), then the random
        rounds; the summary logged (and appended to the report file)."""
        names = [s.name for s in scenarios if not s.slow]
        self.assertGreaterEqual(len(set(names)), at_least)
        self.assertEqual(len(set(names)), len(names), "scenario names are unique")
        started = time.monotonic()
        rng = random.Random(SEED)
        # (scenario, new transactions per account and step)
        plan = [(s, 1) for s in scenarios if ROUNDS or not s.slow]
        for _round in range(ROUNDS):
            shuffled = [s for s in scenarios if not s.slow]
            rng.shuffle(shuffled)
            plan += [(s, rng.randint(1, 6)) for s in shuffled]
        for step, (scenario, new) in enumerate(plan, 1):
            self.walk(step, scenario, new)
        summary = (
            f"{label}: {len(plan)} scenarios ({len(set(names))} distinct, "
            f"{ROUNDS} random rounds, seed {SEED}), {self.runs} scheduler runs, "
            f"{self.total_lines()} lines, failed steps {len(self.failed)}, "
            f"duplicates {self.duplicates}{self.summary_extra()}, "
            f"{time.monotonic() - started:.0f} s; slowest: "
            + ", ".join(f"{name} {t:.1f} s" for t, name in sorted(self.timings)[-5:])
        )
        # make chaos shows what it did (the CI run keeps it at info level)
        _logger.log(logging.WARNING if ROUNDS else logging.INFO, summary)
        if REPORT:
            with open(REPORT, "a", encoding="utf-8") as handle:
                handle.write(summary + "\n")

    def walk(self, step, scenario, new):
        """The fault step, then the clean step, each a subTest."""
        label = f"{step:03d} {scenario.name}"
        started = time.monotonic()
        knobs = {name: getattr(self.sim, name) for name in self.sim.KNOBS}
        with self.subTest(scenario=label, step="fault"):
            ok = False
            try:
                ok = self.fault_step(scenario, new)
            finally:
                self.failed += [] if ok else [(label, "fault")]
        with self.subTest(scenario=label, step="clean"):
            ok = False
            try:
                self.clear(knobs)
                ok = self.clean_step(scenario, new)
            finally:
                if not ok:
                    self.failed.append((label, "clean"))
                    self.heal()
                self.timings.append((time.monotonic() - started, label))

    def fault_step(self, scenario, new):
        before = self.stage_counts()
        aimed = self.aimed_links(scenario)
        imported = self.imported_refs()
        # a spoiled or doubled transaction must be a new one: two on checking
        self.queue(new, 1 + scenario.queue_many)
        self.injected = faults = scenario.inject(self.sim, self.ids)
        if scenario.read == ALL and (
            scenario.outcome in (TRANSIENT, MAINTENANCE) or scenario.read_anyway
        ):  # else reading after the refused refresh would prove nothing
            unread = {r for link in aimed for r in self.booked_refs(link)} - imported
            self.assertTrue(unread, "the provider holds transactions not imported yet")
        type(self).wire_read_timeout = scenario.wire_timeout
        try:
            with self.poll_timeout(scenario.poll_timeout):
                for _ in range(scenario.faulty_runs):
                    self.run_scheduler()
        finally:
            type(self).wire_read_timeout = None
        for injected in faults:  # a fault that never fired tests nothing
            self.assertTrue(injected.hits, f"not hit: {injected.as_dict()}")
        bad = {ref for f in faults for ref in getattr(f, "affected_ids", ())}
        self.assertFalse(bad & imported, "the spoiled transaction is a new one")
        if scenario.check:
            scenario.check(self, before)
        for link in self.links:
            if link in aimed:
                self.assert_outcome(link, scenario.outcome, bad, scenario.code)
            else:
                self.assert_outcome(link, OK, bad)
            for account in link.online_account_ids:
                read = ALL
                if link in aimed and (
                    not scenario.accounts or self.key(account) in scenario.accounts
                ):
                    read = scenario.read
                self.assert_journal(account, read, bad)
        return True

    def poll_timeout(self, seconds):
        """The client's refresh poll timeout, when a scenario shortens it."""
        if seconds is None:
            return nullcontext()
        return patch.multiple(
            bank_sync_engine, POLL_TIMEOUT_MIN=seconds, POLL_TIMEOUT_MAX=seconds
        )

    def clean_step(self, scenario, new):
        for link in self.aimed_links(scenario):
            if scenario.recover != "run":
                self.user_renews(link)
        self.queue(new)
        lines = self.total_lines()
        self.run_scheduler()
        for link in self.links:
            self.assert_outcome(link, OK, ())
            for account in link.online_account_ids:
                self.assert_journal(account, ALL, ())
        self.assertGreater(self.total_lines(), lines, "the clean run imported")
        self.assert_clean_provider()
        return True

    def aimed_links(self, scenario):
        return self.stage_links[scenario.link]

    def key(self, account):
        return next(k for k, ref in self.ids.items() if ref == account.provider_ref)

    def run_scheduler(self):
        """The import cron, once, with every connection due."""
        self.before_run()
        accounts = self.links.online_account_ids
        if "unattended_syncs" in accounts._fields:  # 24 h passed (docstring)
            accounts.write({"unattended_syncs": False})
        self.links.write({"next_sync": False})
        self.env["bank.sync.link"]._cron_sync_transactions()
        self.env.invalidate_all()
        self.runs += 1

    # --- what a bookkeeper sees ---

    def assert_outcome(self, link, outcome, bad, code=None):
        seen = (
            f"{link.name}: state {link.state}, error {link.last_error_code!r}: "
            f"{link.last_error_message!r}"
        )
        self.assertEqual(link.state, STATES[outcome], f"expected {outcome}; {seen}")
        if outcome == OK:
            self.assertFalse(link.last_error_code, f"expected no error; {seen}")
        elif outcome == MAINTENANCE:
            self.assertIn(link.last_error_code, self.maintenance_codes, seen)
        else:
            self.assertTrue(link.last_error_code, f"expected an error; {seen}")
        if code:
            self.assertEqual(link.last_error_code, code, seen)
        if outcome == BAD_RECORD:
            self.assertTrue(bad, "the fault spoiled a transaction")
            said = (link.last_error_message or "") + str(link.message_ids[:1].body)
            for ref in bad:
                self.assertIn(ref, said, f"the refused transaction is named; {seen}")

    def assert_next_sync_after(self, link, seconds):
        self.assertGreaterEqual(
            link.next_sync, fields.Datetime.now() + timedelta(seconds=seconds)
        )

    def assert_journal(self, account, read, bad):
        """The journal against the simulator's booked transactions."""
        have, twice = self.journal(account)
        self.duplicates += len(twice)
        self.assertFalse(twice, f"{account.name}: imported twice")
        want = self.booked(account)
        known = self.tolerated.setdefault(account.id, (set(), set()))
        missing = set(want) - set(have) - known[0]
        extra = set(have) - set(want) - known[1]
        wrong = {r for r in set(have) & set(want) if have[r] != want[r]}
        where = f"{account.name} ({len(have)} lines, {len(want)} booked)"
        self.assertFalse(extra, f"{where}: lines the provider does not have")
        self.assertFalse(wrong, f"{where}: amounts differ from the provider's")
        if read == ALL:
            self.assertFalse(missing, f"{where}: booked, not imported")
        elif read == ALL_BUT_BAD:
            self.assertFalse(bad & set(have), f"{where}: a spoiled line imported")
            self.assertFalse(missing - bad, f"{where}: held up by a spoiled one")

    # --- after a failed step ---

    def heal(self):
        """Bring the connections back to a known state after a failed step, so
        that the next scenarios say something of their own: the step already
        failed; what it left behind (a missing or extra line) is tolerated."""
        self.clear({})
        self.heal_provider()
        for link in self.links:
            if link.state != "connected":
                try:
                    self.user_renews(link)
                except Exception:  # best effort: the step failed already
                    link.state = "connected"
        self.run_scheduler()
        for link in self.links:
            link.write({"state": "connected", "last_error_code": False})
            for account in link.online_account_ids:
                have, _twice = self.journal(account)
                want = self.booked(account)
                self.tolerated[account.id] = (
                    set(want) - set(have),
                    set(have) - set(want),
                )

    # --- the Odoo side ---

    def booked_refs(self, link):
        return {
            ref for account in link.online_account_ids for ref in self.booked(account)
        }

    def imported_refs(self):
        return set(
            self.env["account.bank.statement.line"]
            .search(
                [("journal_id", "in", self.links.online_account_ids.journal_id.ids)]
            )
            .mapped("bank_sync_ref")
        )

    def journal(self, account):
        """({provider id: amount} of the journal's lines, ids seen twice)."""
        rows = self.env["account.bank.statement.line"].search_read(
            [("journal_id", "=", account.journal_id.id)], ["bank_sync_ref", "amount"]
        )
        refs = [row["bank_sync_ref"] for row in rows]
        twice = {ref for ref in refs if refs.count(ref) > 1}
        lines = {row["bank_sync_ref"]: Decimal(f"{row['amount']:.2f}") for row in rows}
        return lines, twice

    def total_lines(self):
        return self.env["account.bank.statement.line"].search_count(
            [("journal_id", "in", self.links.online_account_ids.journal_id.ids)]
        )
