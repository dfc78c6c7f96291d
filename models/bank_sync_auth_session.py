from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .bank_sync_provider import OAUTH_RETURN_PATH

#: how long a user has to authorise at the provider and come back
SESSION_LIFETIME = timedelta(minutes=10)


class BankSyncAuthSession(models.Model):
    """The server-side half of an OAuth authorization (Ponto Connect): the
    ``state`` sent to the provider and the PKCE verifier, bound to the user who
    started it and to the connection, usable once within ten minutes.

    System-only (no access for anybody else, no UI): every read and write goes
    through ``sudo()`` in :meth:`_start` and :meth:`_consume`."""

    _name = "bank.sync.auth.session"
    _description = "Bank Synchronization Authorization Session"
    _order = "id desc"

    state = fields.Char(required=True, readonly=True, copy=False)
    code_verifier = fields.Char(required=True, readonly=True, copy=False)
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

    _sql_constraints = [
        ("state_uniq", "UNIQUE(state)", "An authorization state is used only once.")
    ]

    @api.model
    def _redirect_uri(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        return f"{(base_url or '').rstrip('/')}{OAUTH_RETURN_PATH}"

    @api.model
    def _start(self, link, **values):
        """Start the authorization of ``link`` for the current user; returns the
        provider's authorization URL to send the user to. ``values`` are extra
        fields of the session (e.g. its ``purpose``)."""
        link.ensure_one()
        redirect_uri = self._redirect_uri()
        with link._bank_sync_user_lock():
            client = link._get_client()
            request = client.authorization_request(redirect_uri=redirect_uri)
        self.sudo().create(
            {
                "state": request.state,
                "code_verifier": request.code_verifier,
                "redirect_uri": redirect_uri,
                "user_id": self.env.uid,
                "link_id": link.id,
                "expires_at": fields.Datetime.now() + SESSION_LIFETIME,
                **values,
            }
        )
        return request.url

    def _complete(self, code):
        """The provider sent the user back with ``code``: exchange it (the
        client's ``on_tokens`` stores the tokens at once), remember the
        provider's organisation, mark the connection connected."""
        self.ensure_one()
        link = self.env["bank.sync.link"].browse(self.link_id.id)
        with link._bank_sync_user_lock():
            client = link._get_client()
            client.exchange_code(
                code, self.code_verifier, redirect_uri=self.redirect_uri
            )
            user_info = getattr(client, "get_user_info", None)
            if user_info:
                link.provider_organization_id = user_info().get("sub") or False
        link._set_state(
            "connected", message=self.env._("Authorised at %s.", link.provider_id.name)
        )

    @api.model
    def _consume(self, state):
        """The session of ``state`` (sudo), marked used, when it exists, belongs
        to the current user, is unused and not expired; an empty recordset
        otherwise (and then nothing is changed)."""
        empty = self.sudo().browse()
        if not state or not isinstance(state, str) or len(state) > 256:
            return empty
        session = self.sudo().search([("state", "=", state)], limit=1)
        if (
            not session
            or session.used
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
