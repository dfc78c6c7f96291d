"""One online account's import: refresh at the provider, page the new
transactions, turn them into statement lines, move the cursor.

Where an import stands is three provider ids on the account:

- ``cursor_ref``: the newest transaction of the last complete read; every
  transaction from it down to the first import date is in the journal;
- ``resume_top_ref`` / ``resume_after_ref``: a read that stopped part-way
  (its time budget ran out, its worker was killed): the newest transaction
  it saw, and the last one whose page is committed. The next run goes on
  after ``resume_after_ref`` down to ``cursor_ref``, then moves the cursor to
  ``resume_top_ref``, then reads what is newer.

Each page is atomic (its lines and the resume position together: one commit
in the scheduler, one savepoint elsewhere), so a crash leaves either the
page in with the position after it, or neither: never a gap, never a
duplicate (and the dedupe by provider id per journal absorbs any overlap).

After a complete read come the bank's changes to imported transactions
(``bank_sync_updates.py``) and the pending ones (``bank_sync_pending.py``).

A transaction the provider sends but that cannot be read is kept in
``refused_transactions`` (id and why), reported on the connection, and asked
for again on every run until it imports: never skipped silently, and never
blocking the others.
"""

import logging
from datetime import date, datetime, timedelta
from typing import NamedTuple

from odoo import fields, models
from odoo.tools import SQL

from ..clients import errors
from ..clients.base import RefusedTransaction
from .utils import naive

_logger = logging.getLogger(__name__)

#: PSD2: 4 bank accesses per account per 24 h without the user present
UNATTENDED_LIMIT = 4
UNATTENDED_WINDOW = timedelta(hours=24)
#: providers order transactions by creation, not by date: stop paging a little
#: below the first import date (as the clients do)
DATE_SLACK_DAYS = 7
#: a refused refresh that still lets us read what the provider has
READ_ANYWAY = (
    errors.InstitutionUnavailable,
    errors.SynchronizationFailed,
    errors.RateLimited,
    errors.TemporaryError,
)


class ImportResult(NamedTuple):
    """What one account's import did."""

    #: statement lines created
    created: int
    #: False when the time budget stopped the read part-way
    complete: bool
    #: the error of a refused refresh (the read happened all the same)
    refresh_error: Exception | None
    #: whether the provider read the bank in this run
    bank_read: bool


def _whole_seconds(value):
    """Naive UTC, whole seconds (what the database keeps of a Datetime)."""
    value = naive(value)
    return value.replace(microsecond=0) if value else value


class BankSyncAccount(models.Model):
    _inherit = "bank.sync.account"

    resume_top_ref = fields.Char(
        copy=False,
        readonly=True,
        help="A read that stopped part-way: the newest transaction it saw.",
    )
    resume_after_ref = fields.Char(
        copy=False,
        readonly=True,
        help="A read that stopped part-way: the last transaction imported; the "
        "next run goes on after it.",
    )
    bank_read_at = fields.Datetime(
        string="Bank Read On",
        copy=False,
        readonly=True,
        help="When the provider last read this account at the bank (a "
        "synchronization reads what the provider has; the provider reads the "
        "bank within its own limits).",
    )
    refused_transactions = fields.Json(
        copy=False,
        readonly=True,
        help="Transactions the provider sent that could not be read: their id "
        "and why. They are asked for again on every run.",
    )

    def _import_transactions(self, client, customer_ip=None):
        """Import the account's new transactions; returns an
        :class:`ImportResult`. Raises the client's other errors (the
        connection handles them)."""
        self.ensure_one()
        refresh_error, refreshed = None, False
        # refused in an earlier run: asked for again after the read (refused in
        # this run: reported first, asked for again on the next run)
        earlier = set(self.refused_transactions or {})
        # each step is atomic on its own: a failure keeps the pages before it
        with self.link_id._bank_sync_atomic():
            try:
                # a read that stopped part-way goes on with what the provider
                # has: no bank access spent (4 a day) until it is done
                if self.provider_fetched_at:
                    # the provider read the bank on its own (bank_sync_push.py)
                    refreshed = True
                    self.provider_fetched_at = False
                elif not self.resume_after_ref:
                    refreshed = self._refresh_at_provider(client, customer_ip)
            except errors.RecentlySynchronized:
                _logger.info("Online account %s synchronized recently", self.id)
            except READ_ANYWAY as exc:
                # what the provider already has is still read
                _logger.info("Online account %s not refreshed: %s", self.id, exc)
                refresh_error = exc
        created, complete = self._read_transactions(client)
        with self.link_id._bank_sync_atomic():
            self._store_account_details(client, refreshed)
        created += self._retry_refused(client, earlier)
        if complete:  # after a whole read: the bank's changes, its pending ones
            for step in (self._follow_bank_changes, self._store_pending_transactions):
                with self.link_id._bank_sync_atomic():
                    step(client)
        if complete and not self.opening_statement_id and not self.refused_transactions:
            with self.link_id._bank_sync_atomic():
                self._book_opening_balance()
        return ImportResult(created, complete, refresh_error, refreshed)

    # --- refresh at the provider ---------------------------------------------------

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

    # --- reading pages -------------------------------------------------------------

    def _read_transactions(self, client):
        """Finish a read that stopped part-way, then read what is newer.
        Returns ``(created, complete)``."""
        created = 0
        if self.resume_after_ref:
            try:
                created, complete = self._read_pages(client, self.resume_after_ref)
            except errors.BankSyncError as exc:
                if exc.status != 400:
                    raise
                complete = None  # the provider refuses the position
            if complete is None:
                # The position is unknown to the provider (the transaction is
                # gone): going on from there could leave a gap. Read again from
                # the top instead; the dedupe absorbs what is already in.
                _logger.info("Online account %s: resume position lost", self.id)
                self.write({"resume_top_ref": False, "resume_after_ref": False})
            elif not complete:
                return created, False
        more, complete = self._read_pages(client)
        return created + more, complete

    def _read_pages(self, client, after_id=None):
        """Page newest first from the top (or after ``after_id``) down to the
        cursor; each page is committed with the position after it. Returns
        ``(created, complete)``; ``complete`` is None when the provider gives
        nothing at all after ``after_id`` (the position may be unknown to it)."""
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
            after_id=after_id,
        )
        created, seen, oldest, reached_start = 0, set(), None, False
        link = self.link_id
        number = -1
        for number, page in enumerate(pages):
            if number and link._bank_sync_out_of_time():
                return created, False  # resumed after the last page done
            dates = [tx.date for tx in page if getattr(tx, "date", None)]
            with link._bank_sync_atomic():
                created += self._import_page(page, start, seen)
                values = {"resume_after_ref": page.last_id}
                if not self.resume_top_ref:
                    values["resume_top_ref"] = page.first_id
                self.write(values)
            if start and any(d < start for d in dates):
                reached_start = True
            if dates:
                oldest = min(oldest or date.max, min(dates))
            if first_import and floor and dates and max(dates) < floor:
                break
        if after_id and number < 0:
            return 0, None
        # the whole range is in: the cursor moves to the newest transaction
        values = {
            "last_sync": fields.Datetime.now(),
            "resume_top_ref": False,
            "resume_after_ref": False,
        }
        if self.resume_top_ref:
            values["cursor_ref"] = self.resume_top_ref
        self.write(values)
        if first_import and start and oldest and not reached_start:
            self._flag_history_limited(oldest)
        return created, True

    def _import_page(self, page, start, seen):
        """Create the lines of ``page`` not imported yet (ONE dedupe query, ONE
        ``create()``); note the transactions that could not be read."""
        refused = [tx for tx in page if isinstance(tx, RefusedTransaction)]
        if refused:
            self._note_refused(refused)
        fresh = []
        for tx in page:
            # a pending transaction is never a line (bank_sync_pending.py)
            if isinstance(tx, RefusedTransaction) or tx.id in seen or tx.pending:
                continue
            if start and tx.date and tx.date < start:
                continue
            seen.add(tx.id)
            fresh.append(tx)
        return self._create_lines(fresh)

    def _create_lines(self, transactions):
        known = self._already_imported([tx.id for tx in transactions])
        fresh = [tx for tx in transactions if tx.id not in known]
        if not fresh:
            return 0
        journal = self.journal_id
        # Importing is the connection's job, not the clicking user's: in Odoo
        # Community only the hidden "Show Full Accounting Features" group may
        # create statement lines. The mapped journal is of the account's company
        # (check_company on bank.sync.account.journal_id).
        mapping = self.env["bank.sync.mapping"].sudo().with_company(journal.company_id)
        vals_list, refused = mapping._prepare_statement_lines(self, fresh)
        if refused:
            self._note_refused(refused)
        vals_list = self._bank_sync_without_overlap(vals_list)
        if vals_list:
            self.env["account.bank.statement.line"].sudo().with_company(
                journal.company_id
            ).create(vals_list)
        return len(vals_list)

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

    # --- transactions that could not be read -------------------------------------

    def _note_refused(self, refused):
        noted = dict(self.refused_transactions or {})
        for tx in refused:
            _logger.warning(
                "Online account %s: transaction %s could not be read: %s",
                self.id,
                tx.id,
                tx.reason,
            )
            noted[tx.id] = tx.reason
        self.refused_transactions = noted

    def _retry_refused(self, client, refs):
        """Ask again for the transactions ``refs`` that could not be read;
        import those that can be now. Returns how many lines were created."""
        noted = dict(self.refused_transactions or {})
        refs = [ref for ref in noted if ref in refs]
        if not refs:
            return 0
        readable = []
        for ref in refs:
            try:
                tx = client.get_transaction(self.provider_ref, ref)
            except errors.InvalidResponse as exc:
                noted[ref] = exc.message
                continue
            except errors.NotFound:
                _logger.info("Online account %s: transaction %s is gone", self.id, ref)
                del noted[ref]
                continue
            readable.append(tx)
            del noted[ref]
        with self.link_id._bank_sync_atomic():
            self.refused_transactions = noted or False
            return self._create_lines(readable)  # may note some again

    def _refused_error(self):
        """The connection's report of what could not be read, or None."""
        noted = self.refused_transactions or {}
        if not noted:
            return None
        details = "; ".join(f"{ref}: {why}" for ref, why in sorted(noted.items()))
        return errors.ImportProblem(
            self.env._(
                "%(count)s transactions of %(account)s could not be imported and "
                "are not in the journal yet; they are asked for again on every "
                "run (%(details)s).",
                count=len(noted),
                account=self.display_name,
                details=details,
            ),
            code="transactionUnreadable",
        )

    # --- after the read ------------------------------------------------------------

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

    def _store_account_details(self, client, refreshed=False):
        """Balances, consent end and bank read time as the provider gives them
        (``refreshed``: the bank was read in this run, when the provider does
        not say when it last did)."""
        details = client.get_account(self.provider_ref)
        values = {"consent_expires_at": _whole_seconds(details.consent_expires_at)}
        if refreshed:
            values["bank_read_at"] = fields.Datetime.now().replace(microsecond=0)
        elif details.synchronized_at:
            values["bank_read_at"] = _whole_seconds(details.synchronized_at)
        if details.current_balance is not None:
            values["balance"] = float(details.current_balance)
            values["balance_date"] = _whole_seconds(
                details.current_balance_at or details.synchronized_at
            )
        if details.available_balance is not None:
            values["available_balance"] = float(details.available_balance)
        self.write(values)
