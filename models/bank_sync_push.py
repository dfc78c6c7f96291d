"""The provider tells us something on its own (a callback, a webhook): it read
the bank, its read failed, it lost access to accounts, the connection was
removed or its consent given again on its side. Each piece of news has its
method on the connection; a provider's route verifies the message, then calls
them. The work is never done in the request: an import is asked of the import
cron (woken), which reads without asking the provider to read the bank again
when it just did.

While a client of the connection is at work in another worker (the
scheduler's import, Disconnect, Renew: its lock is held elsewhere), the news
does not touch the rows that work writes (the connection, its accounts):
writing them would make its transaction fail on a concurrent update. It is
kept as a ``bank.sync.provider.news`` record instead, and the import cron
applies it when the connection's lock is free again."""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .bank_sync_link_state import SYNCABLE_STATES, UNCONNECTED_STATES
from .const import IMPORT_CRON

_logger = logging.getLogger(__name__)

#: the cron looks again this soon at news whose connection is still at work
NEWS_RETRY = timedelta(seconds=30)
#: news applied by one call of the cron at most (the rest waits for the next)
NEWS_BATCH = 500
#: news older than this is dropped (the next regular sync finds it out)
NEWS_MAX_AGE = timedelta(days=1)


class BankSyncProviderNews(models.Model):
    _name = "bank.sync.provider.news"
    _description = "Provider News Waiting for a Connection"
    _order = "id"

    link_id = fields.Many2one(
        "bank.sync.link", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="link_id.company_id", store=True, index=True, precompute=True
    )
    kind = fields.Selection(
        [
            ("fetched", "The provider read the bank"),
            ("failed", "The provider's read failed"),
            ("missing", "Accounts removed at the provider"),
            ("removed", "Connection removed at the provider"),
            ("renewed", "Consent given again at the provider"),
        ],
        required=True,
    )
    account_refs = fields.Json(help="The provider's references of the accounts.")


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
        failed; the run asks again (and learns why), unless the connection
        already reports a problem (it retries on its own schedule: asking at
        once would answer a failed read of our own with another one)."""
        self.ensure_one()
        kind = "fetched" if fetched else "failed"
        if self._bank_sync_news_deferred(kind, account_refs):
            return True
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
        if not fetched and link.last_error_code:
            _logger.info(
                "Bank connection %s: the provider's read failed; it already "
                "retries on its own schedule",
                link.id,
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
        if self._bank_sync_news_deferred("removed"):
            return
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

    def _bank_sync_missing_at_provider(self, account_refs):
        """The provider no longer gives access to the accounts
        ``account_refs``: as when a run does not find them, they are marked
        missing and a connection with such a mapped account needs a renewal
        (one message, one activity). Returns whether something changed."""
        self.ensure_one()
        if self._bank_sync_news_deferred("missing", account_refs):
            return True
        link = self.sudo().with_context(mail_notrack=True)
        accounts = link.online_account_ids.filtered(
            lambda a: a.provider_ref in account_refs and not a.missing_at_provider
        )
        if link.state in UNCONNECTED_STATES or not accounts:
            return False
        accounts.missing_at_provider = True
        mapped = accounts.filtered("journal_id")
        if mapped and link.state in SYNCABLE_STATES:
            link._set_state("renewal_needed", message=link._missing_message(mapped))
        return True

    def _bank_sync_renewed_at_provider(self, account_refs=None):
        """The consent of the accounts ``account_refs`` (None: all) was given
        again at the provider (on its own pages, or before the user came back
        from Renew): an import soon reads their new consent expiry. An expired
        connection (or one waiting for a renewal) is connected again when no
        other account of it still waits for one. Returns whether an import
        was asked for."""
        self.ensure_one()
        if self._bank_sync_news_deferred("renewed", account_refs):
            return True
        link = self.sudo().with_context(mail_notrack=True)
        if link.state not in ("expired", "renewal_needed"):
            return link._bank_sync_provider_fetched(account_refs, fetched=False)
        accounts = link._renew_accounts()
        renewed = accounts.filtered(
            lambda a: account_refs is None or a.provider_ref in account_refs
        )
        now = fields.Datetime.now()
        waiting = (accounts - renewed).filtered(
            lambda a: not a.consent_expires_at or a.consent_expires_at <= now
        ) or link.online_account_ids.filtered(
            lambda a: a.journal_id and a.missing_at_provider
        )
        if not renewed or waiting:
            _logger.info(
                "Bank connection %s: renewed at the provider, other accounts wait",
                link.id,
            )
            return False
        link._bank_sync_renewed()
        return True

    def _bank_sync_read_at_provider(self, account_refs, read_at=None):
        """The provider read the bank for ``account_refs`` and found nothing
        new: nothing to import, the accounts' last read at the bank is noted
        (``read_at``, naive UTC; by default now). Skipped while a client of
        the connection is at work: its run notes the provider's read itself."""
        self.ensure_one()
        if self._bank_sync_busy():
            return False
        accounts = self.sudo().online_account_ids.filtered(
            lambda a: a.provider_ref in account_refs
        )
        when = (read_at or fields.Datetime.now()).replace(microsecond=0)
        later = accounts.filtered(lambda a: not a.bank_read_at or a.bank_read_at < when)
        later.write({"bank_read_at": when})
        return bool(later)

    # --- news kept while the connection is at work ----------------------------------

    def _bank_sync_news_deferred(self, kind, account_refs=None):
        """Keep the news (``kind``, see ``bank.sync.provider.news``) when a
        client of the connection is at work elsewhere, and wake the import
        cron, which applies it (:meth:`_bank_sync_apply_provider_news`).
        Returns whether it was kept.

        Otherwise the connection's row is locked for this transaction, so
        that the news is applied to its current state: a run that ended just
        after this transaction began (its last write, then its lock released)
        makes Odoo's repeatable read fail here on the concurrent update, and
        Odoo serves the request again, which then sees it (deciding on the
        state before the run would be undone by the run's own write: the
        import asked for would be lost)."""
        if not self._bank_sync_busy():
            self.env.cr.execute(
                SQL("SELECT id FROM bank_sync_link WHERE id = %s FOR UPDATE", self.id),
                log_exceptions=False,  # a concurrent update: Odoo retries
            )
            return False
        _logger.info(
            "Bank connection %s is at work: the provider's news (%s) waits",
            self.id,
            kind,
        )
        self.env["bank.sync.provider.news"].sudo().create(
            {
                "link_id": self.id,
                "kind": kind,
                "account_refs": None if account_refs is None else list(account_refs),
            }
        )
        self._bank_sync_trigger_import()
        return True

    @api.model
    def _bank_sync_apply_provider_news(self):
        """The import cron, first: apply the news kept for connections that
        are no longer at work; the others are looked at again soon."""
        news = self.env["bank.sync.provider.news"].sudo().search([], limit=NEWS_BATCH)
        waiting = len(news) == NEWS_BATCH  # more than one call applies
        oldest = fields.Datetime.now() - NEWS_MAX_AGE
        old = news.filtered(lambda n: n.create_date < oldest)
        if old:
            _logger.info("Dropping %s provider news older than a day", len(old))
            old.unlink()
            news -= old
        for link in news.link_id:
            if link._bank_sync_busy():
                waiting = True
                continue
            for item in news.filtered(lambda n, link=link: n.link_id == link):
                try:
                    with self.env.cr.savepoint():
                        link._bank_sync_apply_one_news(item.kind, item.account_refs)
                        item.unlink()
                except Exception:
                    # kept for the next call (a concurrent update), or dropped
                    # when a day old
                    _logger.exception(
                        "Bank connection %s: the provider's news could not be applied",
                        link.id,
                    )
                    waiting = True
        if waiting:
            cron = self.env.ref(IMPORT_CRON, raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger(fields.Datetime.now() + NEWS_RETRY)

    def _bank_sync_apply_one_news(self, kind, refs):
        if kind in ("fetched", "failed"):
            self._bank_sync_provider_fetched(refs, fetched=kind == "fetched")
        elif kind == "missing":
            self._bank_sync_missing_at_provider(refs or [])
        elif kind == "removed":
            self._bank_sync_removed_at_provider()
        elif kind == "renewed":
            self._bank_sync_renewed_at_provider(refs)
