"""The tokens a provider issued for a connection, durable the moment they
arrive, and the one way to get a client of a connection.

Ponto Connect burns a refresh token on use: the new one is the only one the
provider still accepts. A write in the caller's transaction would die with
any rollback after the refresh (an exception, a worker killed by its time
limit, a request replayed after a serialization failure). So tokens live in
their own table (``bank.sync.token``, system only), are written through a
cursor of their own and committed at once, and are read the same way (the
caller's snapshot may predate another worker's rotation).

A refresh must never run twice with the same token: every client of a
connection is built under the connection's lock (``bank_sync_lock.py``), by
every path (the sync, Fetch Accounts, Connect and its return, Renew and its
return, Disconnect). ``_get_client`` refuses to build one outside it.
"""

import logging
from contextlib import contextmanager

from odoo import api, fields, models, sql_db
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..clients.base import TokenSet
from . import bank_sync_lock
from .utils import aware, naive

_logger = logging.getLogger(__name__)

#: how long a user action waits for a running synchronization of its
#: connection before it says so (seconds)
USER_LOCK_WAIT = 5.0


class BankSyncToken(models.Model):
    """System-only: no access rule for anybody else, no view."""

    _name = "bank.sync.token"
    _description = "Bank Synchronization Tokens"

    link_id = fields.Many2one(
        "bank.sync.link", required=True, ondelete="cascade", index=True
    )
    access_token = fields.Char()
    refresh_token = fields.Char()
    expires_at = fields.Datetime()

    _sql_constraints = [
        ("link_uniq", "UNIQUE(link_id)", "A connection has one set of tokens.")
    ]


class BankSyncLink(models.Model):
    _inherit = "bank.sync.link"

    access_token = fields.Char(
        compute="_compute_tokens",
        inverse="_inverse_tokens",
        groups="base.group_system",
        compute_sudo=True,
    )
    refresh_token = fields.Char(
        compute="_compute_tokens",
        inverse="_inverse_tokens",
        groups="base.group_system",
        compute_sudo=True,
    )
    token_expires_at = fields.Datetime(
        compute="_compute_tokens",
        inverse="_inverse_tokens",
        groups="base.group_system",
        compute_sudo=True,
    )

    def _compute_tokens(self):
        for link in self:
            row = link._bank_sync_token_row()
            link.access_token = row and row[0]
            link.refresh_token = row and row[1]
            link.token_expires_at = row and row[2]

    def _inverse_tokens(self):
        for link in self:
            tokens = None
            if link.access_token or link.refresh_token:
                tokens = TokenSet(
                    access_token=link.access_token or "",
                    expires_at=aware(link.token_expires_at),
                    refresh_token=link.refresh_token or None,
                )
            link._bank_sync_store_tokens(tokens)

    # --- the lock -------------------------------------------------------------

    @contextmanager
    def _bank_sync_locked(self, wait=0.0):
        """Hold this connection's lock; yields whether it was obtained."""
        self.ensure_one()
        with bank_sync_lock.connection_lock(
            self.env.cr.dbname, self.id, wait=wait
        ) as obtained:
            yield obtained

    @contextmanager
    def _bank_sync_user_lock(self):
        """The lock for a user's action: waits a little, then says why not."""
        with self._bank_sync_locked(wait=USER_LOCK_WAIT) as obtained:
            if not obtained:
                raise UserError(
                    self.env._(
                        "A synchronization of %(link)s is running. Try again in "
                        "a minute.",
                        link=self.display_name,
                    )
                )
            yield

    def _bank_sync_busy(self):
        """Another worker holds the lock: a client of it is at work now."""
        self.ensure_one()
        return bank_sync_lock.is_locked_elsewhere(self.env.cr.dbname, self.id)

    def _get_client(self, **options):
        """The provider client of this connection (its tokens, its bank).
        Only under the connection's lock (``_bank_sync_locked``)."""
        self.ensure_one()
        if not bank_sync_lock.is_held(self.env.cr.dbname, self.id):
            raise RuntimeError(
                f"bank.sync.link({self.id}): a client is built under its lock only"
            )
        options.setdefault("tokens", self._bank_sync_token_set())
        options.setdefault("on_tokens", self.sudo()._bank_sync_store_tokens)
        return self.provider_id._build_client(self, **options)

    # --- tokens (system fields: read and written here only) ---------------------

    def _bank_sync_token_row(self):
        """``(access, refresh, expires_at)`` as committed now, or None."""
        self.ensure_one()
        if not self.id:
            return None
        query = SQL(
            "SELECT access_token, refresh_token, expires_at FROM bank_sync_token "
            "WHERE link_id = %s",
            self.id,
        )
        with self._bank_sync_token_cursor() as cr:
            cr.execute(query)
            row = cr.fetchone()
        if row is None:
            # tokens of a connection not committed yet live in its transaction
            self.env["bank.sync.token"].flush_model()
            self.env.cr.execute(query)
            row = self.env.cr.fetchone()
        return row

    def _bank_sync_token_set(self):
        """The stored tokens as a :class:`TokenSet`, or None."""
        row = self._bank_sync_token_row()
        if not row or not (row[0] or row[1]):
            return None
        return TokenSet(
            access_token=row[0] or "",
            expires_at=aware(row[2]),
            refresh_token=row[1] or None,
        )

    def _bank_sync_store_tokens(self, tokens):
        """The client's ``on_tokens`` callback (and Disconnect, with None):
        the tokens are committed at once, whatever the caller's transaction
        does next."""
        self.ensure_one()
        params = (
            self.id,
            tokens.access_token if tokens else None,
            (tokens.refresh_token or None) if tokens else None,
            naive(tokens.expires_at) or None if tokens else None,
            self.env.uid,
        )
        if not self._bank_sync_write_tokens(self._bank_sync_token_cursor(), params):
            # the connection itself is not committed yet: its tokens live and
            # die with it, in its transaction
            self.env["bank.sync.token"].flush_model()
            self._bank_sync_write_tokens(self.env.cr, params, commit=False)
            self.env["bank.sync.token"].invalidate_model()
        self.invalidate_recordset(["access_token", "refresh_token", "token_expires_at"])

    @api.model
    def _bank_sync_token_cursor(self):
        """A transaction of its own on the primary database (never a replica,
        never the caller's, whatever request it serves: even a read-only one)."""
        return sql_db.db_connect(self.env.cr.dbname).cursor()

    @api.model
    def _bank_sync_write_tokens(self, cr, params, commit=True):
        """Upsert the token row through ``cr``; False when ``cr`` does not see
        the connection."""
        try:
            cr.execute(SQL("SELECT 1 FROM bank_sync_link WHERE id = %s", params[0]))
            if not cr.fetchone():
                return False
            cr.execute(
                SQL(
                    "INSERT INTO bank_sync_token (link_id, access_token, "
                    "refresh_token, expires_at, create_uid, write_uid, "
                    "create_date, write_date) VALUES (%s, %s, %s, %s, %s, %s, "
                    "now() at time zone 'UTC', now() at time zone 'UTC') "
                    "ON CONFLICT (link_id) DO UPDATE SET "
                    "access_token = EXCLUDED.access_token, "
                    "refresh_token = EXCLUDED.refresh_token, "
                    "expires_at = EXCLUDED.expires_at, "
                    "write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date",
                    *params,
                    params[-1],
                )
            )
            if commit:  # its own cursor, never the caller's
                cr.commit()  # pylint: disable=invalid-commit
            return True
        finally:
            if commit:
                cr.close()
