"""Renew: authorise the bank consent of a connection again.

Ponto (both profiles): one reauthorization request per mapped online account;
the user is sent to the provider's page of the first account, and the return
route (``/bank_sync/reauthorize/return``, controllers/main.py) sends them on to
the next one, until every account is done. The return reads the new consent
expiry back, puts the connection back to ``connected`` and asks the import
cron to run: the transactions missed while expired come with the next sync (the
import cursor never moved, the dedupe absorbs any overlap).

Ponto Connect, when the refresh token itself is refused: the authorization
code flow runs again (``bank.sync.auth.session._start``), its return keeps the
account mappings and goes back to the connection.
"""

import logging
import secrets
from urllib.parse import urlencode

from psycopg2 import errors as errors_pg

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..clients import errors
from .bank_sync_auth_session import SESSION_LIFETIME
from .utils import naive

_logger = logging.getLogger(__name__)

REAUTHORIZE_RETURN_PATH = "/bank_sync/reauthorize/return"
IMPORT_CRON = "account_bank_sync.ir_cron_bank_sync_import_transactions"
CONNECTION_URL = "/odoo/action-account_bank_sync.action_bank_sync_link/%s"


class BankSyncAuthSession(models.Model):
    _inherit = "bank.sync.auth.session"

    purpose = fields.Selection(
        [
            ("connect", "Connect"),
            ("renew", "Renew (authorization again)"),
            ("reauthorize", "Renew (reauthorization request)"),
        ],
        default="connect",
        required=True,
        readonly=True,
    )
    account_ref = fields.Char(
        readonly=True, help="The online account whose consent is being renewed."
    )
    pending_refs = fields.Char(
        readonly=True,
        help="The online accounts to renew after this one (comma separated).",
    )

    @api.model
    def _start_reauthorization(self, link, refs):
        """Ask the provider to reauthorise the first of ``refs`` (provider
        references of ``link``'s accounts); returns the provider's page URL.
        The state in the return URL is bound to the user and the connection,
        single use, and remembers the accounts still to renew."""
        link.ensure_one()
        state = secrets.token_urlsafe(32)
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        redirect_uri = "{}{}?{}".format(
            (base_url or "").rstrip("/"),
            REAUTHORIZE_RETURN_PATH,
            urlencode({"state": state}),
        )
        with link._bank_sync_user_lock():
            client = link._get_client()
            url = client.request_reauthorization(refs[0], redirect_uri)
        self.sudo().create(
            {
                "state": state,
                "code_verifier": "-",  # no PKCE in a reauthorization request
                "redirect_uri": redirect_uri,
                "user_id": self.env.uid,
                "link_id": link.id,
                "expires_at": fields.Datetime.now() + SESSION_LIFETIME,
                "purpose": "reauthorize",
                "account_ref": refs[0],
                "pending_refs": ",".join(refs[1:]) or False,
            }
        )
        return url

    @api.model
    def _start_renew_authorization(self, link):
        """The authorization code flow again (Ponto Connect), marked as a
        renewal: its return keeps the mappings and opens the connection."""
        return self._start(link, purpose="renew")


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"  # pylint: disable=consider-merging-classes-inherited

    sync_on_open_at = fields.Datetime(
        copy=False,
        readonly=True,
        help="When opening a journal's transactions last asked for a background "
        "import of this connection.",
    )

    # --- Renew button -------------------------------------------------------------

    def action_renew(self):
        """Authorise the connection's bank consent again at the provider."""
        self.ensure_one()
        if self.state in ("draft", "disconnected"):
            raise UserError(self.env._("Connect the bank first."))
        renew = getattr(self, f"_renew_{self.provider_id.provider_type}", None)
        if renew is None:
            raise UserError(
                self.env._("%s cannot renew a connection.", self.provider_id.name)
            )
        return {"type": "ir.actions.act_url", "url": renew(), "target": "self"}

    def _renew_accounts(self):
        """The online accounts concerned: the mapped ones the provider still has."""
        return self.online_account_ids.filtered(
            lambda a: a.journal_id and a.active and not a.missing_at_provider
        )

    def _renew_ponto(self):
        sessions = self.env["bank.sync.auth.session"]
        connect = self.provider_id.ponto_profile == "ponto_connect"
        accounts = self._renew_accounts()
        try:
            if connect and not self._bank_sync_token_set():
                return sessions._start_renew_authorization(self)
            if not accounts:
                raise UserError(
                    self.env._(
                        "No online account of %(link)s is mapped to a journal: "
                        "run Fetch Accounts first.",
                        link=self.display_name,
                    )
                )
            try:
                return sessions._start_reauthorization(
                    self, accounts.mapped("provider_ref")
                )
            except errors.AuthenticationError:
                if not connect:
                    raise
                _logger.info(
                    "Connection %s: tokens refused, authorizing again", self.id
                )
                return sessions._start_renew_authorization(self)
        except (errors.BankSyncError, ValueError) as exc:
            raise UserError(
                self.env._(
                    "The renewal at %(provider)s could not start: %(error)s",
                    provider=self.provider_id.name,
                    error=str(exc),
                )
            ) from exc

    # --- the return from the provider ---------------------------------------------

    def _bank_sync_reauthorized(self, session):
        """The provider sent the user back from the reauthorization of
        ``session.account_ref``: read its new consent expiry; returns where to
        send the user next (the next account's page, or the connection)."""
        self.ensure_one()
        account = self.online_account_ids.filtered(
            lambda a: a.provider_ref == session.account_ref
        )
        if account:
            with self._bank_sync_user_lock():
                account._bank_sync_read_consent(self._get_client())
        pending = [ref for ref in (session.pending_refs or "").split(",") if ref]
        if pending:
            return self.env["bank.sync.auth.session"]._start_reauthorization(
                self, pending
            )
        self._bank_sync_renewed()
        return CONNECTION_URL % self.id

    def _bank_sync_renewed(self, read_consent=False):
        """The consent was given again: back to connected, the new expiry read
        (``read_consent``), an import soon (the missed transactions)."""
        self.ensure_one()
        if read_consent:
            with self._bank_sync_user_lock():
                client = self._get_client()
                for account in self._renew_accounts():
                    account._bank_sync_read_consent(client)
        # also when renewed early, still connected: the fallback consent length
        # and the reminder series restart (models/bank_sync_consent.py)
        self._mark_authorized()
        self.next_sync = fields.Datetime.now()
        self._set_state(
            "connected",
            message=self.env._(
                "Renewed at %(provider)s: the transactions of the meantime are "
                "imported by the next synchronization.",
                provider=self.provider_id.name,
            ),
        )
        self._bank_sync_trigger_import()

    def _bank_sync_trigger_import(self):
        cron = self.env.ref(IMPORT_CRON, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    # --- sync on open -------------------------------------------------------------

    def _bank_sync_sync_on_open(self):
        """Opening a journal's transactions: when the last sync is older than
        an hour, make the connection due and wake the import cron (at most once
        an hour, never blocking). Returns whether the cron was triggered."""
        self.ensure_one()
        link = self.sudo()
        now = fields.Datetime.now()
        hour_ago = fields.Datetime.subtract(now, hours=1)
        if (
            link.state not in ("connected", "renewal_needed", "error")
            or not link.auto_sync
            or (link.last_sync and link.last_sync > hour_ago)
            or (link.sync_on_open_at and link.sync_on_open_at > hour_ago)
        ):
            return False
        if link._bank_sync_busy() or not link._bank_sync_try_row_lock():
            return False  # a synchronization runs (or the row is being written)
        values = {"sync_on_open_at": now}
        if not link.next_sync or link.next_sync > now:
            values["next_sync"] = now
        link.write(values)
        link._bank_sync_trigger_import()
        return True

    def _bank_sync_try_row_lock(self):
        """Lock the connection's row without waiting: False when another
        transaction writes it now, or wrote it since this one began."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM bank_sync_link WHERE id = %s FOR UPDATE NOWAIT",
                        self.id,
                    ),
                    log_exceptions=False,
                )
        except (errors_pg.LockNotAvailable, errors_pg.SerializationFailure):
            return False
        return True


class BankSyncAccount(models.Model):
    _inherit = "bank.sync.account"  # pylint: disable=consider-merging-classes-inherited

    def _bank_sync_read_consent(self, client):
        self.ensure_one()
        details = client.get_account(self.provider_ref)
        self.consent_expires_at = naive(details.consent_expires_at)
