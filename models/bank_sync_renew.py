"""Renew: authorise the bank consent of a connection again.

The client's ``request_renewal`` gives the provider's page for some of the
mapped accounts and says which are left: the return route
(``/bank_sync/reauthorize/return``, controllers/main.py) reads the renewed
accounts' consent expiry back and asks for the next step, until every account
is done. Then the connection is ``connected`` again and the import cron is
asked to run: the transactions missed while expired come with the next sync
(the import cursor never moved, the dedupe absorbs any overlap).

When the user's grant itself is gone or refused (a provider whose access the
user gives, ``client.user_authorization``), Connect's authorization runs again
(``bank.sync.auth.session._start_authorization``); its return keeps the
account mappings and goes back to the connection.
"""

import logging

from odoo import fields, models
from odoo.exceptions import UserError

from ..clients import errors
from .bank_sync_link_state import UNCONNECTED_STATES
from .const import CONNECTION_URL
from .utils import naive

_logger = logging.getLogger(__name__)


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"

    # --- Renew button -------------------------------------------------------------

    def action_renew(self):
        """Authorise the connection's bank consent again at the provider."""
        self.ensure_one()
        if self.state in UNCONNECTED_STATES:
            raise UserError(self.env._("Connect the bank first."))
        try:
            url = self._bank_sync_start_renew()
        except (errors.BankSyncError, ValueError) as exc:
            raise UserError(
                self.env._(
                    "The renewal at %(provider)s could not start: %(error)s",
                    provider=self.provider_id.name,
                    error=str(exc),
                )
            ) from exc
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def _renew_accounts(self):
        """The online accounts concerned: the mapped ones the provider still has."""
        return self.online_account_ids.filtered(
            lambda a: a.journal_id and a.active and not a.missing_at_provider
        )

    def _bank_sync_start_renew(self):
        """The URL of the provider's page where the user renews: a renewal
        request for the mapped accounts, or, when the user's grant is gone or
        refused, the authorization again."""
        sessions = self.env["bank.sync.auth.session"]
        with self._bank_sync_user_lock():
            client = self._get_client()
            user_authorization = client.user_authorization
            authorized = client.authorized
        if not authorized:
            return sessions._start_authorization(self, purpose="renew")
        accounts = self._renew_accounts()
        if not accounts:
            raise UserError(
                self.env._(
                    "No online account of %(link)s is mapped to a journal: "
                    "run Fetch Accounts first.",
                    link=self.display_name,
                )
            )
        try:
            return sessions._start_renewal(self, accounts.mapped("provider_ref"))
        except errors.AuthenticationError:
            if not user_authorization:
                raise
            _logger.info("Connection %s: grant refused, authorizing again", self.id)
            return sessions._start_authorization(self, purpose="renew")

    # --- the return from the provider ---------------------------------------------

    def _bank_sync_reauthorized(self, session):
        """The provider sent the user back from the renewal step of
        ``session``: read the renewed accounts' consent expiry; returns where
        to send the user next (the next step's page, or the connection)."""
        self.ensure_one()
        refs = (session.account_refs or "").split(",")
        accounts = self.online_account_ids.filtered(lambda a: a.provider_ref in refs)
        if accounts:
            with self._bank_sync_user_lock():
                client = self._get_client()
                for account in accounts:
                    account._bank_sync_read_consent(client)
        pending = [ref for ref in (session.pending_refs or "").split(",") if ref]
        if pending:
            return self.env["bank.sync.auth.session"]._start_renewal(self, pending)
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


class BankSyncAccount(models.Model):
    _inherit = "bank.sync.account"

    def _bank_sync_read_consent(self, client):
        self.ensure_one()
        details = client.get_account(self.provider_ref)
        self.consent_expires_at = naive(details.consent_expires_at)
