"""The provider tells us it read the bank on its own (a callback, a webhook):
its accounts are imported soon, in the background (the import cron, woken),
without asking the provider to read the bank again (it just did).

A provider's route verifies the message, then calls
``_bank_sync_provider_fetched``; the work is never done in the request."""

import logging

from odoo import fields, models

from .bank_sync_link_state import SYNCABLE_STATES

_logger = logging.getLogger(__name__)


class BankSyncAccount(models.Model):
    _inherit = "bank.sync.account"

    provider_fetched_at = fields.Datetime(
        copy=False,
        readonly=True,
        help="The provider read the bank on its own at this time: the next import "
        "reads what it has without asking for a new read.",
    )


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"

    def _bank_sync_provider_fetched(self, account_refs=None, fetched=True):
        """The provider read the bank for the accounts ``account_refs`` (its
        references; None: every account of the connection). Their connection
        becomes due and the import cron is woken; returns whether an import
        was asked for (not for a connection that is not synchronized, nor for
        accounts without a journal). ``fetched=False``: the provider's read
        failed; the run asks again (and learns why)."""
        self.ensure_one()
        link = self.sudo()
        accounts = link.online_account_ids.filtered(
            lambda a: (
                a.journal_id
                and (account_refs is None or a.provider_ref in account_refs)
            )
        )
        if link.state not in SYNCABLE_STATES or not accounts:
            _logger.info(
                "Bank connection %s: the provider's news asks for no import (%s)",
                link.id,
                link.state,
            )
            return False
        now = fields.Datetime.now()
        if fetched:
            accounts.write({"provider_fetched_at": now})
        if not link.next_sync or link.next_sync > now:
            link.next_sync = now
        link._bank_sync_trigger_import()
        return True

    def _bank_sync_removed_at_provider(self):
        """The provider removed the connection on its side: disconnected (the
        imported lines kept), nothing asked of the provider."""
        self.ensure_one()
        link = self.sudo().with_context(mail_notrack=True)
        if link.state == "disconnected":
            return
        link._bank_sync_disconnect(
            revoke=False,
            message=self.env._(
                "%(provider)s reports that this connection was removed on its side "
                "(at the bank or in %(provider)s). The imported transactions are "
                "kept; connect the bank again to go on.",
                provider=link.provider_id.name,
            ),
        )
