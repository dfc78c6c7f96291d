import logging
from html import escape

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from ..clients import errors

_logger = logging.getLogger(__name__)

#: where the pages send the user back to
CONNECTIONS_URL = "/odoo/action-account_bank_sync.action_bank_sync_link"
#: the account wizard, opened on the wizard record after a successful return
ACCOUNT_WIZARD_URL = "/odoo/action-account_bank_sync.action_bank_sync_account_wizard"


class BankSyncController(http.Controller):
    @http.route(
        "/bank_sync/oauth/return",
        type="http",
        auth="user",
        methods=["GET"],
    )
    def oauth_return(self, state=None, code=None, error=None, **kwargs):
        """The provider sends the user back here after the authorization
        (Ponto Connect): exchange the code, store the tokens, open the account
        wizard of the connection."""
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
        if error or not code:
            return self._page(
                env._("The authorization was not given"),
                env._(
                    "%(provider)s did not authorise the connection to %(bank)s "
                    "(%(reason)s). Nothing was changed: click Connect again to retry.",
                    provider=link.provider_id.name,
                    bank=link.institution_id.name,
                    reason=error or env._("no authorization code"),
                ),
            )
        try:
            self._finish(link, session, code)
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
            wizard = env["bank.sync.account.wizard"]._create_for_link(link)
        except UserError as exc:
            return self._page(
                env._("Connected, but the accounts could not be read"),
                env._(
                    "%(error)s Open the connection and click Fetch Accounts.",
                    error=exc.args[0],
                ),
                status=502,
            )
        return request.redirect(f"{ACCOUNT_WIZARD_URL}/{wizard.id}")

    @staticmethod
    def _finish(link, session, code):
        """Exchange ``code``, store the tokens and the organisation, mark the
        connection connected."""
        env = link.env
        client = link.provider_id._get_client(link)
        tokens = client.exchange_code(
            code, session.code_verifier, redirect_uri=session.redirect_uri
        )
        # the client's on_tokens callback stored them already; writing them
        # again keeps this independent of the callback
        link._bank_sync_store_tokens(tokens)
        values = {}
        user_info = getattr(client, "get_user_info", None)
        if user_info:
            values["provider_organization_id"] = user_info().get("sub") or False
        if values:
            link.write(values)
        link._set_state(
            "connected", message=env._("Authorised at %s.", link.provider_id.name)
        )

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
