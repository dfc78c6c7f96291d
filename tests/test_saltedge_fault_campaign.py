"""Proof campaign R1 against Salt Edge (issue 10): whatever Salt Edge does, no
transaction is lost or doubled and the connection says what happened.

The method is Ponto's (``test_fault_campaign.py``; the runner is
``campaign_support.py``): one test walks every scenario of
``saltedge_fault_scenarios.py`` against two connections on one Salt Edge
simulator over HTTPS, each request signed: the seeded connection to KBC
Business (its current account cut by a first import date in the middle of its
history, and its savings account) and a second connection of the same customer
to Belfius Business. Each scenario: new bank transactions, the fault, the
scheduler's run (``_cron_sync_transactions`` on due connections), the state and
journals the scenario expects; then the fault cleared (and what it changed at
Salt Edge or the bank undone: a spoiled amount readable again, pending
transactions booked by the bank, the banks answering a refresh at last), the
user's Renew through Salt Edge's widget (the reconnect, then Odoo's
``/bank_sync/reauthorize/return``) when the consent needs one, more bank
transactions, a clean run: every connection connected, every journal equal to
what Salt Edge holds (posted, not duplicated, from the first import date on:
provider ids and amounts), none twice, and no error in the simulator. Each step
is a ``subTest`` named after its scenario.

Salt Edge's transactions are listed in pages of 10 (the simulator's
``page_size``), so that paging happens every run.

Test-only liberties, each standing for time passing: before every run the
connections' ``next_refresh_possible_at`` is cleared at the simulator (Salt
Edge's refresh timeout of 60 minutes has passed; the client does not even ask
before it), and Salt Edge's daily limit of refreshes is off except in the
scenario about it; the engine's own count of unattended accesses
(``unattended_syncs``) is cleared before each run (24 h have passed); the read
timeout on the wire is cut to a fraction of a second in the timeout scenario
(instead of 60 s), and the client's refresh poll timeout to half a second in
the scenario of a refresh that never ends (instead of 5 s at least).

``BANK_SYNC_CAMPAIGN_ROUNDS`` / ``_SEED`` / ``_REPORT`` (make chaos) act as for
Ponto.
"""

from datetime import date

from odoo.tests import tagged

from . import saltedge_fault_scenarios as ses
from .campaign_support import CENT, CampaignMixin
from .http_common import RENEW_RETURN_PATH
from .saltedge_common import CURRENT, SAVINGS, SaltEdgeHttpCommon

#: a first import date before any transaction of the account
NO_CUT = date(2000, 1, 1)
BELFIUS, BELFIUS_CURRENT = "belfius_business_be", "belfius-current"
#: the error codes of a bank Salt Edge cannot reach (clients/saltedge_errors.py)
MAINTENANCE_CODES = (
    "ProviderUnavailable",
    "ProviderInactive",
    "ProviderDisabled",
    "ProviderError",
)


@tagged("post_install", "-at_install")
class TestSaltEdgeFaultCampaign(CampaignMixin, SaltEdgeHttpCommon):
    # refreshes final at once (a scenario makes one last), no daily limit
    # (the campaign refreshes dozens of times per simulated day; one scenario
    # spends it), pages of 10
    sim_knobs = {"refresh_polls": 0, "background_fetch_limit": None, "page_size": 10}
    maintenance_codes = MAINTENANCE_CODES

    def setUp(self):
        super().setUp()
        sim = self.sim
        self.grant_full_accounting(self.admin)
        self.eur.active = True
        belfius = sim.create_connection(
            customer_id=sim.SEED_CUSTOMER_ID, provider_code=BELFIUS
        )
        admin = {"user_id": self.admin.id}
        self.kbc_link = self.make_link(**admin)
        self.belfius_link = self.make_link(
            institution_ref=BELFIUS, connection_id=belfius, **admin
        )
        self.links = self.kbc_link | self.belfius_link
        self.stage_links = {
            "kbc": [self.kbc_link],
            "belfius": [self.belfius_link],
            "both": list(self.links),
        }
        self.ids = {
            "current": self.account_info(sim.SEED_CONNECTION_ID, CURRENT)["id"],
            "savings": self.account_info(sim.SEED_CONNECTION_ID, SAVINGS)["id"],
            "belfius": self.account_info(belfius, BELFIUS_CURRENT)["id"],
            "kbc_connection": sim.SEED_CONNECTION_ID,
            "belfius_connection": belfius,
        }
        with sim.lock:
            days = sorted(t.bank.made_on for t in self.txns("current"))
        self.map_account(self.kbc_link, CURRENT, first_import_date=days[len(days) // 2])
        self.map_account(self.kbc_link, SAVINGS, first_import_date=NO_CUT)
        self.map_account(self.belfius_link, BELFIUS_CURRENT, first_import_date=NO_CUT)
        self.run_scheduler()  # the first import
        for link in self.links:
            self.assertEqual(link.state, "connected", link.last_error_message)

    def test_saltedge_fault_campaign(self):
        self.run_campaign(ses.SCENARIOS, "Salt Edge fault campaign", at_least=25)

    # --- the stage's hooks ---

    def txns(self, key):
        """Salt Edge's transactions of the account ``key`` (hold ``sim.lock``)."""
        return self.sim.world.accounts[self.ids[key]].txns

    def booked(self, account):
        """{Salt Edge id: amount} of what Salt Edge holds for the account now:
        posted, not duplicated, made on its first import date or later (an
        amount no client reads is left out: the scenario spoiled it)."""
        start = account.first_import_date
        with self.sim.lock:
            txns = list(self.sim.world.accounts[account.provider_ref].txns)
        return {
            t.id: t.bank.amount.quantize(CENT)
            for t in txns
            if not t.duplicated
            and t.bank.made_on >= start
            and t.bank.amount.is_finite()
        }

    def queue(self, count, checking=0):
        """New transactions at every bank (Salt Edge sees them at its next
        refresh): ``count`` on each account, ``checking`` more on KBC current."""
        for key in ("current", "savings", "belfius"):
            extra = checking if key == "current" else 0
            self.sim.add_transactions(self.ids[key], count + extra)

    def before_run(self):
        """Salt Edge's refresh timeout has passed (docstring)."""
        with self.sim.lock:
            for connection in self.sim.world.connections.values():
                connection.next_refresh_possible_at = None

    def clear(self, knobs):
        """Clear the faults, restore the knobs, undo the step's changes."""
        self.sim.clear_faults()
        for name, value in knobs.items():
            setattr(self.sim, name, value)
        injected, self.injected = self.injected, []
        for change in injected:
            if hasattr(change, "undo"):
                change.undo()

    def user_renews(self, link):
        """Renew: Salt Edge's widget (a reconnect), then Odoo's return."""
        self.authenticate("admin", "admin")
        action = link.with_user(self.admin).action_renew()
        back = self.walk_widget(action["url"])
        response = self.back_to_odoo(back, RENEW_RETURN_PATH)
        self.assertEqual(response.status_code, 303, response.text[:400])
        self.assertEqual(link.state, "connected", link.last_error_message)

    def refreshes(self, key):
        """The refreshes Salt Edge accepted for the connection ``key``."""
        with self.sim.lock:
            connection = self.sim.world.connections[self.ids[key]]
            return sum(1 for a in connection.attempts if a.kind == "refresh")

    def stage_counts(self):
        return {"refreshes": self.refreshes("kbc_connection")}

    def assert_clean_provider(self):
        self.assertFalse(self.sim.errors, "the simulator failed on a request")
