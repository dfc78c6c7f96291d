"""The stage of the fault campaign (``test_fault_campaign.py``): one simulator,
a Ponto API and a Ponto Connect connection with mapped journals, the user's
steps through the provider's pages over HTTP, the scheduler's run, and the two
sides compared: the simulator's booked transactions and the journals."""

from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")
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


class CampaignMixin:
    """On top of PontoHttpCommon (its simulator and providers). The stage is
    set per test: the campaign is one test, and the Connect authorization
    goes through Odoo's return route with the test's HTTP session."""

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
        self.runs = self.duplicates = self.expected_reuses = 0
        self.failed, self.tolerated, self.timings = [], {}, []
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

    def key(self, account):
        return next(k for k, ref in self.ids.items() if ref == account.provider_ref)

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

    def queue(self, count, checking=0):
        """New transactions at every bank (booked by the next synchronization):
        ``count`` on each account, ``checking`` more on KBC checking."""
        for key in ("checking", "savings", "bnp"):
            extra = checking if key == "checking" else 0
            self.sim.queue_bank_transactions(self.ids[key], count + extra)

    def run_scheduler(self):
        """The import cron, once, with every connection due."""
        self.sim.advance(minutes=5)  # past the simulator's resync window
        accounts = self.links.online_account_ids
        if "unattended_syncs" in accounts._fields:  # 24 h passed (docstring)
            accounts.write({"unattended_syncs": False})
        self.links.write({"next_sync": False})
        self.env["bank.sync.link"]._cron_sync_transactions()
        self.env.invalidate_all()
        self.runs += 1

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
