import logging
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from odoo import api, fields, models
from odoo.tools import SQL

from ..clients.errors import BankSyncError
from .const import (
    ACCOUNT_WIZARD_URL,
    CONNECTION_URL,
    OAUTH_RETURN_PATH,
    REAUTHORIZE_RETURN_PATH,
)

_logger = logging.getLogger(__name__)

#: how long a user has to authorise at the provider and come back
SESSION_LIFETIME = timedelta(minutes=10)


class BankSyncAuthSession(models.Model):
    """The server-side half of a trip to the provider's pages (Connect, or a
    step of Renew): the ``state`` sent along, what the client asked to keep
    (``verifier``, e.g. a PKCE code verifier), bound to the user who started
    it and to the connection, usable once within ten minutes.

    System-only (no access for anybody else, no UI): every read and write goes
    through ``sudo()`` here."""

    _name = "bank.sync.auth.session"
    _description = "Bank Synchronization Authorization Session"
    _order = "id desc"

    state = fields.Char(required=True, readonly=True, copy=False)
    verifier = fields.Char(readonly=True, copy=False)
    redirect_uri = fields.Char(
        readonly=True, help="The return URL sent with the authorization request."
    )
    user_id = fields.Many2one(
        "res.users", required=True, readonly=True, ondelete="cascade", index=True
    )
    link_id = fields.Many2one(
        "bank.sync.link", required=True, readonly=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="link_id.company_id", store=True, index=True, precompute=True
    )
    expires_at = fields.Datetime(required=True, readonly=True)
    used = fields.Boolean(readonly=True, copy=False)
    purpose = fields.Selection(
        [
            ("connect", "Connect"),
            ("renew", "Renew (authorization again)"),
            ("reauthorize", "Renew (renewal request)"),
        ],
        default="connect",
        required=True,
        readonly=True,
    )
    account_refs = fields.Char(
        readonly=True,
        help="The online accounts this renewal step renews (comma separated).",
    )
    pending_refs = fields.Char(
        readonly=True,
        help="The online accounts to renew after this step (comma separated).",
    )

    _sql_constraints = [
        ("state_uniq", "UNIQUE(state)", "An authorization state is used only once.")
    ]

    def _create_session(self, link, state, redirect_uri, **values):
        return self.sudo().create(
            {
                "state": state,
                "redirect_uri": redirect_uri,
                "user_id": self.env.uid,
                "link_id": link.id,
                "expires_at": fields.Datetime.now() + SESSION_LIFETIME,
                **values,
            }
        )

    def _user_link(self):
        """The session's connection as the user who came back (the session
        itself is read in sudo)."""
        return self.env["bank.sync.link"].sudo(False).browse(self.link_id.id)

    # --- Connect (and Renew by authorising again) ---------------------------------

    @api.model
    def _start_authorization(self, link, purpose="connect"):
        """Start the authorization of ``link`` for the current user; returns
        the provider's URL to send the user to, or ``None`` when the provider
        gives access without the user (then no session is kept)."""
        link.ensure_one()
        state = secrets.token_urlsafe(32)
        redirect_uri = link.provider_id._redirect_uri(OAUTH_RETURN_PATH)
        with link._bank_sync_user_lock():
            start = link._get_client().start_authorization(
                redirect_uri=redirect_uri, state=state
            )
        if not start.url:
            return None
        self._create_session(
            link, state, redirect_uri, verifier=start.verifier, purpose=purpose
        )
        return start.url

    def _complete(self, callback):
        """The provider sent the user back with ``callback`` (the query
        parameters): complete the authorization (the client's ``on_tokens``
        stores the tokens at once), remember the provider's organisation, mark
        the connection connected."""
        self.ensure_one()
        link = self._user_link()
        with link._bank_sync_user_lock():
            result = link._get_client().complete_authorization(
                callback, verifier=self.verifier, redirect_uri=self.redirect_uri
            )
        if result.organization_id:
            link.provider_organization_id = result.organization_id
        link._set_authorized_state(
            message=self.env._("Authorised at %s.", link.provider_id.name)
        )

    def _landing_url(self):
        """Where the user goes once :meth:`_complete` is done: the account
        wizard after Connect (a ``UserError`` when the accounts cannot be
        read), the connection after a Renew (its accounts keep their
        journals)."""
        self.ensure_one()
        link = self._user_link()
        if self.purpose == "renew":
            try:
                link._bank_sync_renewed(read_consent=True)
            except BankSyncError as exc:
                _logger.info(
                    "Bank connection %s: renewal read failed: %s", link.id, exc
                )
            return CONNECTION_URL % link.id
        wizard = link.env["bank.sync.account.wizard"]._create_for_link(link)
        return f"{ACCOUNT_WIZARD_URL}/{wizard.id}"

    # --- Renew by renewal requests ------------------------------------------------

    @api.model
    def _start_renewal(self, link, refs):
        """Ask the provider to renew the consent of ``refs`` (provider
        references of ``link``'s accounts); returns the provider's page URL.
        The state in the return URL is bound to the user and the connection,
        single use, and remembers the accounts still to renew."""
        link.ensure_one()
        state = secrets.token_urlsafe(32)
        redirect_uri = "{}?{}".format(
            link.provider_id._redirect_uri(REAUTHORIZE_RETURN_PATH),
            urlencode({"state": state}),
        )
        with link._bank_sync_user_lock():
            renewal = link._get_client().request_renewal(
                list(refs), redirect_uri=redirect_uri
            )
        self._create_session(
            link,
            state,
            redirect_uri,
            purpose="reauthorize",
            account_refs=",".join(renewal.account_ids) or False,
            pending_refs=",".join(renewal.pending_ids) or False,
        )
        return renewal.url

    # --- the return ---------------------------------------------------------------

    @api.model
    def _consume(self, state, purposes=("connect", "renew")):
        """The session of ``state`` (sudo), marked used, when it exists, is of
        one of ``purposes``, belongs to the current user, is unused and not
        expired; an empty recordset otherwise (and then nothing is changed)."""
        empty = self.sudo().browse()
        if not state or not isinstance(state, str) or len(state) > 256:
            return empty
        session = self.sudo().search([("state", "=", state)], limit=1)
        if (
            not session
            or session.used
            or session.purpose not in purposes
            or session.user_id.id != self.env.uid
            or session.expires_at <= fields.Datetime.now()
        ):
            return empty
        # Atomic single use: of two concurrent returns with the same state,
        # only one updates the row.
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET used = TRUE WHERE id = %s AND NOT COALESCE(used, FALSE)"
                " RETURNING id",
                SQL.identifier(self._table),
                session.id,
            )
        )
        claimed = self.env.cr.fetchone()
        session.invalidate_recordset(["used"])
        return session if claimed else empty

    @api.autovacuum
    def _gc_sessions(self):
        """Forget sessions a day after they expired."""
        limit = fields.Datetime.now() - timedelta(days=1)
        self.sudo().search([("expires_at", "<", limit)]).unlink()
