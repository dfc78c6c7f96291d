"""Sync on open: opening a journal's transactions wakes the import of its
connection when the last sync is old (never blocking the user); and the one
way to ask the import cron to run soon."""

from psycopg2 import errors as errors_pg

from odoo import fields, models
from odoo.tools import SQL

from .bank_sync_link_state import SYNCABLE_STATES
from .const import IMPORT_CRON


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"

    sync_on_open_at = fields.Datetime(
        copy=False,
        readonly=True,
        help="When opening a journal's transactions last asked for a background "
        "import of this connection.",
    )

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
            link.state not in SYNCABLE_STATES
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
