import logging
from html import escape

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from ..clients import errors
from ..models.const import CONNECTIONS_URL, OAUTH_RETURN_PATH, REAUTHORIZE_RETURN_PATH

_logger = logging.getLogger(__name__)


class BankSyncController(http.Controller):
    """The provider sends the user back here. Each route checks the request
    (a valid single-use state of this user) and delegates to
    ``bank.sync.auth.session`` / ``bank.sync.link``; it only turns their
    outcome into a page or a redirect."""

    @http.route(OAUTH_RETURN_PATH, type="http", auth="user", methods=["GET"])
    def oauth_return(self, state=None, **kwargs):
        """Back from the provider's authorization page (Connect, or Renew by
        authorising again)."""
        env = request.env
        session = env["bank.sync.auth.session"]._consume(state)
        if not session:
            return self._page(
                env._("This authorization link is not valid"),
                env._(
                    "The link is unknown, was already used, has expired (it is valid "
                    "for 10 minutes), or was started by another user. Nothing was "
                    "changed: open the connection and click Connect again."
                ),
            )
        link = env["bank.sync.link"].browse(session.link_id.id)
        try:
            session._complete(kwargs)
        except errors.AuthorizationDenied as exc:
            return self._page(
                env._("The authorization was not given"),
                env._(
                    "%(provider)s did not authorise the connection to %(bank)s "
                    "(%(reason)s). Nothing was changed: click Connect again to retry.",
                    provider=link.provider_id.name,
                    bank=link.institution_id.name,
                    reason=exc.message,
                ),
            )
        except (errors.BankSyncError, UserError) as exc:
            _logger.info("Bank connection %s: authorization failed: %s", link.id, exc)
            return self._page(
                env._("The connection could not be completed"),
                env._(
                    "%(provider)s refused to complete the connection: %(error)s. "
                    "Click Connect again to retry.",
                    provider=link.provider_id.name,
                    error=str(exc),
                ),
                status=502,
            )
        try:
            url = session._landing_url()
        except UserError as exc:
            return self._page(
                env._("Connected, but the accounts could not be read"),
                env._(
                    "%(error)s Open the connection and click Fetch Accounts.",
                    error=exc.args[0],
                ),
                status=502,
            )
        return request.redirect(url)

    @http.route(REAUTHORIZE_RETURN_PATH, type="http", auth="user", methods=["GET"])
    def reauthorize_return(self, state=None, **kwargs):
        """Back from a renewal step (Renew): read the new consent expiry, go
        on to the next step's page or back to the connection, connected
        again."""
        env = request.env
        session = env["bank.sync.auth.session"]._consume(state, ("reauthorize",))
        if not session:
            return self._page(
                env._("This renewal link is not valid"),
                env._(
                    "The link is unknown, was already used, has expired (it is valid "
                    "for 10 minutes), or was started by another user. Nothing was "
                    "changed: open the connection and click Renew again."
                ),
            )
        link = env["bank.sync.link"].browse(session.link_id.id)
        error = link.provider_id.sudo()._get_client_class().renewal_refusal(kwargs)
        if error:
            return self._page(
                env._("The renewal was not given"),
                env._(
                    "%(provider)s did not renew the consent of %(bank)s (%(reason)s). "
                    "Click Renew again to retry.",
                    provider=link.provider_id.name,
                    bank=link.institution_id.name,
                    reason=error,
                ),
            )
        try:
            url = link._bank_sync_reauthorized(session)
        except (errors.BankSyncError, UserError) as exc:
            _logger.info("Bank connection %s: renewal failed: %s", link.id, exc)
            return self._page(
                env._("The renewal could not be completed"),
                env._(
                    "%(provider)s refused to complete the renewal: %(error)s. "
                    "Click Renew again to retry.",
                    provider=link.provider_id.name,
                    error=str(exc),
                ),
                status=502,
            )
        return request.redirect(url, local=url.startswith("/"))

    @staticmethod
    def _page(title, message, status=400):
        """A small page a user understands, with a way back."""
        back = request.env._("Back to the bank connections")
        body = (
            '<!DOCTYPE html><html><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title>"
            "<style>body{font-family:sans-serif;max-width:40em;margin:3em auto;"
            "padding:0 1em;color:#222}</style></head><body>"
            f'<h1>{escape(title)}</h1><p id="bank_sync_message">{escape(message)}</p>'
            f'<p><a href="{CONNECTIONS_URL}">{escape(back)}</a></p></body></html>'
        )
        return request.make_response(
            body,
            headers=[
                ("Content-Type", "text/html; charset=utf-8"),
                ("Cache-Control", "no-store"),
            ],
            status=status,
        )
