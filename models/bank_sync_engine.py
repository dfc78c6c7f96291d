"""The sync engine: one connection → its mapped online accounts → statement lines.

See DESIGN.md "How data flows". The provider is only reached through the
``clients.base.BankClient`` interface; every client error class ends in a
connection state and a message a bookkeeper can act on: that part lives in
``bank_sync_link_state.py`` (``_apply_sync_outcome``, ``_set_state``).
"""

import logging
from datetime import date, datetime, timedelta

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import SQL

from ..clients import errors
from .bank_sync_link_state import error_kind
from .bank_sync_provider import _naive as _naive_microseconds

_logger = logging.getLogger(__name__)

#: PSD2: 4 bank accesses per account per 24 h without the user present
UNATTENDED_LIMIT = 4
UNATTENDED_WINDOW = timedelta(hours=24)
#: providers order transactions by creation, not by date: stop paging a little
#: below the first import date (as the clients do)
DATE_SLACK_DAYS = 7


def _naive(value):
    """Naive UTC, whole seconds (what the database keeps of a Datetime)."""
    value = _naive_microseconds(value)
    return value.replace(microsecond=0) if value else value


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"  # pylint: disable=consider-merging-classes-inherited

    # --- entry points -------------------------------------------------------------

    def action_fetch_transactions(self):
        """Button: import the new transactions of this connection now."""
        self.ensure_one()
        if self.state in ("draft", "disconnected"):
            raise UserError(self.env._("Connect the bank first."))
        if not self._bank_sync_try_lock():
            return self._bank_sync_notification(
                self.env._("A synchronization of this connection is already running."),
                "warning",
            )
        customer_ip = request.httprequest.remote_addr if request else None
        summary = self._sync(interactive=True, customer_ip=customer_ip)
        return self._bank_sync_summary_notification(summary)

    def _sync(self, interactive=False, customer_ip=None):
        """Import the new transactions of every mapped online account.

        Returns ``{journal record: number of new lines}``. Provider errors never
        propagate: they end in the connection's state (see ``_set_state``); lines
        already imported in the run stay (the cursor did not move, so the next
        run re-reads them and the dedupe absorbs them).
        """
        self.ensure_one()
        accounts = self.online_account_ids.filtered(
            lambda a: a.journal_id and not a.missing_at_provider
        )
        summary = {account.journal_id: 0 for account in accounts}
        problems, missing = [], self.env["bank.sync.account"]
        started = fields.Datetime.now()
        try:
            client = self._get_client()
        except errors.BankSyncError as exc:
            client, accounts, problems = None, (), [exc]
        except UserError as exc:  # the provider's configuration is unusable
            error = errors.BankSyncError(exc.args[0], code="providerConfiguration")
            client, accounts, problems = None, (), [error]
        for account in accounts:
            try:
                summary[account.journal_id] += account._import_transactions(
                    client, interactive=interactive, customer_ip=customer_ip
                )
            except errors.NotFound:
                _logger.info("Online account %s not found at the provider", account.id)
                account.missing_at_provider = True
                missing |= account
            except errors.BankSyncError as exc:
                _logger.info(
                    "Bank synchronization of online account %s failed: %s",
                    account.id,
                    exc,
                )
                problems.append(exc)
                if error_kind(exc) in ("authentication", "consent_expired"):
                    break  # the whole connection is concerned
        read = any(a.last_sync and a.last_sync >= started for a in accounts)
        self._apply_sync_outcome(problems, missing, read=read)
        return summary

    # --- notifications --------------------------------------------------------------

    def _bank_sync_try_lock(self):
        """Lock the connection row for this transaction; False when another
        worker holds it (it is synchronizing this connection right now)."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM bank_sync_link WHERE id = %s FOR UPDATE SKIP LOCKED",
                self.id,
            )
        )
        return bool(self.env.cr.fetchone())

    def _bank_sync_summary_notification(self, summary):
        lines = [
            self.env._(
                "%(count)s new transactions in %(journal)s",
                count=count,
                journal=journal.code,
            )
            if count != 1
            else self.env._("1 new transaction in %(journal)s", journal=journal.code)
            for journal, count in summary.items()
            if count
        ]
        text = "\n".join(lines) or self.env._("No new transactions")
        if self.last_error_message:
            text = f"{text}\n{self.last_error_message}"
            return self._bank_sync_notification(text, "warning")
        return self._bank_sync_notification(text, "success" if lines else "info")

    def _bank_sync_notification(self, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.display_name,
                "message": message,
                "type": kind,
                "sticky": kind == "warning",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }


class BankSyncAccount(models.Model):
    _inherit = "bank.sync.account"  # pylint: disable=consider-merging-classes-inherited

    def _import_transactions(self, client, interactive=False, customer_ip=None):
        """Import the account's new transactions; returns how many lines were
        created. Raises the client's errors (the connection handles them)."""
        self.ensure_one()
        refresh_error = None
        try:
            self._refresh_at_provider(client, customer_ip)
        except errors.RecentlySynchronized:
            _logger.info("Online account %s synchronized recently: reading", self.id)
        except (errors.InstitutionUnavailable, errors.SynchronizationFailed) as exc:
            refresh_error = exc  # what the provider already has is still read
        created = self._read_transactions(client)
        self._store_account_details(client)
        if refresh_error is not None:
            raise refresh_error
        return created

    def _refresh_at_provider(self, client, customer_ip=None):
        """Ask the provider to read the bank, within the unattended limit.

        Without a user present (no customer IP), at most UNATTENDED_LIMIT bank
        accesses per rolling UNATTENDED_WINDOW: beyond, we only read what the
        provider already has. Returns whether a refresh was requested."""
        now = fields.Datetime.now()
        recent = []
        if not customer_ip:
            for stamp in self.unattended_syncs or []:
                try:
                    moment = datetime.fromisoformat(stamp)
                except (TypeError, ValueError):
                    continue
                if now - moment < UNATTENDED_WINDOW:
                    recent.append(stamp)
            if len(recent) >= UNATTENDED_LIMIT:
                self.unattended_syncs = recent
                return False
        try:
            client.synchronize(self.provider_ref, customer_ip_address=customer_ip)
        except (errors.RecentlySynchronized, errors.RateLimited):
            raise  # refused at once: no bank access
        except errors.BankSyncError:
            self._count_unattended(recent, now, customer_ip)
            raise
        self._count_unattended(recent, now, customer_ip)
        return True

    def _count_unattended(self, recent, now, customer_ip):
        if not customer_ip:
            self.unattended_syncs = [*recent, now.isoformat()]

    def _read_transactions(self, client):
        """Page the transactions newer than the cursor (newest first); per page
        ONE query drops those already imported and ONE ``create()`` adds the
        others. The cursor moves only once every page is in."""
        journal = self.journal_id
        # Importing is the connection's job, not the clicking user's: in Odoo
        # Community only the hidden "Show Full Accounting Features" group may
        # create statement lines. The mapped journal is of the account's company
        # (check_company on bank.sync.account.journal_id).
        lines = (
            self.env["account.bank.statement.line"]
            .sudo()
            .with_company(journal.company_id)
        )
        mapping = self.env["bank.sync.mapping"].sudo().with_company(journal.company_id)
        first_import = not self.cursor_ref
        start = self.first_import_date
        floor = start and start - timedelta(days=DATE_SLACK_DAYS)
        # On the first import the engine applies the date floor itself: it
        # must see the older transactions to know whether the provider's
        # history reaches the first import date.
        pages = client.iter_transaction_pages(
            self.provider_ref,
            stop_at_id=self.cursor_ref or None,
            since=None if first_import else start,
        )
        newest = oldest = None
        reached_start = False
        created = 0
        seen = set()
        for page in pages:
            if newest is None and page:
                newest = page[0].id
            dates = [tx.date for tx in page if tx.date]
            if start and any(d < start for d in dates):
                reached_start = True
            fresh = []
            for tx in page:
                if tx.id in seen or (start and tx.date and tx.date < start):
                    continue
                seen.add(tx.id)
                fresh.append(tx)
            known = self._already_imported([tx.id for tx in fresh])
            fresh = [tx for tx in fresh if tx.id not in known]
            if fresh:
                lines.create(mapping._prepare_statement_lines(self, fresh))
                created += len(fresh)
            if dates:
                oldest = min(oldest or date.max, min(dates))
            if first_import and floor and dates and max(dates) < floor:
                break
        values = {"last_sync": fields.Datetime.now()}
        if newest:
            values["cursor_ref"] = newest
        self.write(values)
        if first_import and start and oldest and not reached_start:
            self._flag_history_limited(oldest)
        return created

    def _already_imported(self, refs):
        """The provider ids among ``refs`` already imported into the journal."""
        if not refs:
            return set()
        lines = self.env["account.bank.statement.line"]
        lines.flush_model(["journal_id", "bank_sync_ref"])
        self.env.cr.execute(
            SQL(
                "SELECT bank_sync_ref FROM account_bank_statement_line "
                "WHERE journal_id = %s AND bank_sync_ref IN %s",
                self.journal_id.id,
                tuple(refs),
            )
        )
        return {ref for (ref,) in self.env.cr.fetchall()}

    def _flag_history_limited(self, oldest):
        if self.history_limited:
            return
        self.history_limited = True
        self.link_id.message_post(
            body=self.env._(
                "%(provider)s gave the transactions of %(account)s from %(oldest)s "
                "on only, not from the first import date %(start)s (the bank's "
                "initial history limit). Import the older transactions of the "
                "journal %(journal)s from a bank statement file (CODA, CAMT, OFX).",
                provider=self.link_id._provider_label(),
                account=self.display_name,
                oldest=fields.Date.to_string(oldest),
                start=fields.Date.to_string(self.first_import_date),
                journal=self.journal_id.display_name,
            ),
            subtype_xmlid="mail.mt_note",
        )

    def _store_account_details(self, client):
        details = client.get_account(self.provider_ref)
        values = {"consent_expires_at": _naive(details.consent_expires_at)}
        if details.current_balance is not None:
            values["balance"] = float(details.current_balance)
            values["balance_date"] = _naive(
                details.current_balance_at or details.synchronized_at
            )
        if details.available_balance is not None:
            values["available_balance"] = float(details.available_balance)
        self.write(values)


class AccountJournal(models.Model):
    _inherit = "account.journal"  # pylint: disable=consider-merging-classes-inherited

    def action_bank_sync_fetch_transactions(self):
        self.ensure_one()
        return self._bank_sync_link().action_fetch_transactions()
