"""Proof campaign R1 (issue 7): whatever the provider does, no transaction is
lost or doubled and the connection says what happened.

One test walks every scenario of ``fault_scenarios.py`` (41 in CI, plus a slow
one with make chaos) against two connections on one simulator: a Ponto API
custom integration (KBC checking, cut by a first import date in the middle of
its history, and KBC savings) and a Ponto Connect connection authorised through
the simulator's page over HTTP (BNP checking, refresh tokens rotating). Each
scenario: new bank transactions, the fault, the scheduler's run
(``_cron_sync_transactions`` on due connections), the state and journals the
scenario expects; then the fault cleared, the user's recovery (Renew,
authorise again) when the state needs one, more bank transactions, a clean run:
every connection connected, every journal equal to the simulator's booked
transactions (provider ids and amounts, from the first import date on, within
the simulator's initial history limit), none twice, and no refresh token ever
presented after its rotation except where a scenario loses the answer on
purpose. Each step is a ``subTest`` named after its scenario.

Scenarios marked with ``defect=`` fail on the engine issue 7 was written
against; they pass once the defect is fixed (5: an undecodable transaction is
reported with its provider id and does not hold up the others; 7: a refused or
slow refresh is still followed by the read; 1: a rotated refresh token survives
a rollback; and clients/http.py: an unreadable Retry-After is a retry, not a
crash).

Make chaos: ``BANK_SYNC_CAMPAIGN_ROUNDS=N`` adds N rounds, each the scenarios in
a random order with random amounts of new transactions (seed
``BANK_SYNC_CAMPAIGN_SEED``, default 7), plus the slow scenario (a
synchronization that outlasts the client's 120 s poll timeout).
``BANK_SYNC_CAMPAIGN_REPORT=<file>`` appends the one-line summary there (it is
also logged, at warning level when there are rounds).

Test-only liberties, each standing for time passing: the simulator's clock moves
5 minutes per run (its resync window) and its unattended quota is off except
in the scenario about it; the engine's own count of unattended accesses
(``unattended_syncs``) is cleared before each run (24 h have passed); the read
timeout on the wire is cut to a fraction of a second in the timeout scenarios
(instead of 60 s) by the test's request handler, where tests/common.py already
adjusts Odoo's.
"""

from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from odoo.tests import tagged

from . import fault_scenarios as fs
from .campaign_support import CENT, CampaignMixin
from .ponto_common import PontoHttpCommon

MAINTENANCE_CODES = (
    "financialInstitutionMaintenance",
    "financialInstitutionUnavailable",
)

#: the simulator's banks are Belgian: a booking date is a Brussels calendar day
BANK_ZONE = ZoneInfo("Europe/Brussels")
#: a first import date before any transaction of the account
NO_CUT = date(2000, 1, 1)


def bank_day(transaction):
    """The calendar day the bank booked ``transaction`` (simulator attributes)."""
    value = transaction.get("executionDate") or transaction.get("valueDate")
    if len(value) == 10:
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(BANK_ZONE).date()


@tagged("post_install", "-at_install")
class TestFaultCampaign(CampaignMixin, PontoHttpCommon):
    """The stage: one Ponto simulator, a Ponto API and a Ponto Connect
    connection with mapped journals, the user's steps through Ponto's pages
    over HTTP."""

    maintenance_codes = MAINTENANCE_CODES
    # Knobs: synchronizations final at creation (a scenario asks for polls),
    # no quota (the campaign runs dozens of times per simulated day; one
    # scenario spends it), pages of 10 so that paging happens every run.
    sim_knobs = {"sync_polls": 0, "unattended_quota": None, "page_limit_max": 10}

    def setUp(self):
        super().setUp()
        for ref in self.sim.store.accounts:  # BNP's consent ends in 10 days
            self.sim.renew_consent(ref)
        sim = self.sim
        self.ids = {
            "checking": sim.ACCOUNT_CHECKING_ID,
            "savings": sim.ACCOUNT_SAVINGS_ID,
            "bnp": sim.ACCOUNT_BNP_ID,
            "kbc": sim.FI_KBC_ID,
        }
        self.grant_full_accounting(self.admin)
        self.eur.active = True
        admin = {"user_id": self.admin.id}
        self.api_link = self.make_link(self.provider, sim.FI_KBC_ID, **admin)
        self.connect_link = self.make_link(
            self.connect_provider, sim.FI_BNP_ID, **admin
        )
        self.links = self.api_link | self.connect_link
        self.user_authorizes(self.connect_link)
        self.integrations = {
            self.api_link.id: sim.custom_integration_id,
            self.connect_link.id: sim.connect_integration_id,
        }
        days = sorted(
            bank_day(t) for t in sim.visible_transactions(self.ids["checking"])
        )
        self.map(self.api_link, "checking", days[len(days) // 2])
        self.map(self.api_link, "savings", NO_CUT)
        self.map(self.connect_link, "bnp", NO_CUT)
        self.stage_links = {
            "api": [self.api_link],
            "connect": [self.connect_link],
            "both": list(self.links),
        }
        self.expected_reuses = 0
        self.run_scheduler()  # the first import
        for link in self.links:
            self.assertEqual(link.state, "connected", link.last_error_message)

    # --- the stage ---

    def map(self, link, key, first_import_date):
        """Map the simulator's account ``key`` to a new journal (what the account
        wizard does)."""
        ref = self.ids[key]
        info = next(a for a in self.sim.seed_info()["accounts"] if a["id"] == ref)
        company = link.company_id
        journal = self.env["account.journal"].create(
            {
                "name": f"Campaign {key}",
                "code": f"FC{len(self.env['bank.sync.account'].search([])) + 1}",
                "type": "bank",
                "bank_acc_number": info["iban"],
                "currency_id": self.eur.id
                if company.currency_id != self.eur
                else False,
                "bank_statements_source": "online_sync",
            }
        )
        self.env["bank.sync.account"].create(
            {
                "link_id": link.id,
                "provider_ref": ref,
                "name": key,
                "iban": info["iban"],
                "currency_id": self.eur.id,
                "journal_id": journal.id,
                "first_import_date": first_import_date,
            }
        )
        if link.state == "authorized":  # as the wizard's confirmation does
            link._set_authorized_state()

    # --- the user at the provider, over HTTP ---

    def user_authorizes(self, link):
        """Connect (Ponto Connect): the authorization page, then Odoo's return."""
        sessions = self.env["bank.sync.auth.session"].with_user(self.admin)
        self.follow(sessions._start_authorization(link))

    def user_renews(self, link):
        """Renew: the provider's page(s), Odoo's return, until connected."""
        action = link.with_user(self.admin).action_renew()
        self.follow(action["url"])
        self.assertEqual(link.state, "connected", link.last_error_message)

    def follow(self, location):
        """Approve every page of the simulator and go back to Odoo with the
        browser's redirects, until Odoo sends the user somewhere else."""
        self.authenticate("admin", "admin")
        for _ in range(10):
            if location.startswith(self.sim.authorization_url):
                location = self.sim.complete_authorization(
                    location, account_ids=[self.ids["bnp"]]
                )
            elif location.startswith(self.sim.root_url):
                location = self.sim.complete_reauthorization(location)
            else:
                parts = urlsplit(location)
                if not parts.path.startswith("/bank_sync/"):
                    return
                response = self.url_open(
                    f"{parts.path}?{parts.query}", allow_redirects=False
                )
                self.env.invalidate_all()
                self.assertIn(response.status_code, (302, 303), response.text[:400])
                location = response.headers["Location"]
        self.fail(f"still redirected after 10 pages: {location}")

    # --- the bank and the scheduler ---

    def before_run(self):
        self.sim.advance(minutes=5)  # past the simulator's resync window

    def queue(self, count, checking=0):
        """New transactions at every bank (booked by the next synchronization):
        ``count`` on each account, ``checking`` more on KBC checking."""
        for key in ("checking", "savings", "bnp"):
            extra = checking if key == "checking" else 0
            self.sim.queue_bank_transactions(self.ids[key], count + extra)

    def clear(self, knobs):
        """Clear the faults, restore the knobs, end any maintenance."""
        self.sim.clear_faults()
        for name, value in knobs.items():
            setattr(self.sim, name, value)
        for ref in (self.sim.FI_KBC_ID, self.sim.FI_BNP_ID):
            self.sim.clear_maintenance(ref)

    def sim_syncs(self):
        refs = set(self.api_link.online_account_ids.mapped("provider_ref"))
        return sum(
            1
            for sync in self.sim.store.syncs.values()
            if not sync.seeded and sync.account_id in refs
        )

    # --- the two sides ---

    def booked(self, account):
        """{provider id: amount} of what the simulator shows the connection now,
        from the account's first import date on (its initial history limit is
        in ``visible_transactions``)."""
        start = account.first_import_date
        return {
            t["id"]: Decimal(str(t["amount"])).quantize(CENT)
            for t in self.sim.visible_transactions(
                account.provider_ref, self.integrations[account.link_id.id]
            )
            if bank_day(t) >= start
        }

    def test_fault_campaign(self):
        self.run_campaign(fs.SCENARIOS, "fault campaign", at_least=30)

    # --- Ponto's own checks ---

    def stage_counts(self):
        return {"syncs": self.sim_syncs(), "refresh": self.sim.refresh_token_stats()}

    def assert_clean_provider(self):
        self.assertEqual(
            self.sim.refresh_token_stats()["reuses"],
            self.expected_reuses,
            "a refresh token was presented after its rotation",
        )

    def heal_provider(self):
        for ref in self.sim.store.accounts:
            self.sim.renew_consent(ref)

    def heal(self):
        healed = super().heal()
        self.expected_reuses = self.sim.refresh_token_stats()["reuses"]
        return healed

    def summary_extra(self):
        reuses = self.sim.refresh_token_stats()["reuses"]
        return f", refresh token reuses {reuses} (expected {self.expected_reuses})"
