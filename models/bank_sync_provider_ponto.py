"""Ponto (Ibanity) on the provider seam: its ``code``, its fields, its
defaults and its hooks (``bank_sync_provider.py`` lists them)."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..clients import pem
from ..clients.ponto import PontoClient

#: default API base URL per Ponto profile (the same for sandbox and live: the
#: credentials tell the environments apart)
PONTO_BASE_URLS = {
    PontoClient.API: "https://api.myponto.com",
    PontoClient.CONNECT: "https://api.ibanity.com/ponto-connect",
}
PONTO_AUTHORIZATION_URLS = {
    "sandbox": "https://sandbox-authorization.myponto.com/oauth2/auth",
    "live": "https://authorization.myponto.com/oauth2/auth",
}


class BankSyncProvider(models.Model):
    _inherit = "bank.sync.provider"

    code = fields.Selection(
        selection_add=[("ponto", "Ponto")], ondelete={"ponto": "set default"}
    )
    ponto_profile = fields.Selection(
        [
            (PontoClient.API, "Ponto API (custom integration)"),
            (PontoClient.CONNECT, "Ponto Connect (partner application)"),
        ],
        default=PontoClient.API,
    )
    signature_key = fields.Text(
        string="Request Signature Key", groups="base.group_system", copy=False
    )
    signature_key_id = fields.Char(string="Request Signature Key ID")
    application_id = fields.Char(
        string="Application ID", help="The audience of Ponto Connect's webhooks."
    )

    @api.constrains("signature_key")
    def _check_ponto_signature_key(self):
        for provider in self.sudo().filtered("signature_key"):
            problem = pem.private_key_problem(provider.signature_key)
            if problem:
                raise ValidationError(provider._pem_message("signature_key", problem))

    def _get_default_urls(self):
        if self.code != "ponto":
            return super()._get_default_urls()
        profile = self.ponto_profile or PontoClient.API
        urls = {"api_base_url": PONTO_BASE_URLS[profile]}
        if profile == PontoClient.CONNECT:
            urls["authorization_url"] = PONTO_AUTHORIZATION_URLS.get(self.environment)
        return urls

    @api.model
    def _get_default_url_depends(self):
        return [*super()._get_default_url_depends(), "ponto_profile"]

    def _get_client_class(self):
        if self.code != "ponto":
            return super()._get_client_class()
        return PontoClient

    def _get_client_kwargs(self, link=None):
        if self.code != "ponto":
            return super()._get_client_kwargs(link)
        provider = self.sudo()  # secrets: read here, handed to the client only
        return {
            **super()._get_client_kwargs(link),
            "profile": provider.ponto_profile or PontoClient.API,
            "signature_key": provider.signature_key or None,
            "signature_key_id": provider.signature_key_id or None,
            "authorization_url": provider.authorization_url or None,
            "redirect_uri": self._redirect_uri(),
            "application_id": provider.application_id or None,
        }

    def _get_no_account_message(self, link):
        if self.code != "ponto":
            return super()._get_no_account_message(link)
        bank = link.institution_id.name
        if self.ponto_profile == PontoClient.CONNECT:
            return self.env._(
                "Ponto has no account of %(bank)s authorised for Odoo. Click Connect "
                "again and, on Ponto's authorization page, select the accounts of "
                "%(bank)s (if the bank is not listed there, first add it in Ponto "
                "under Accounts). Then click Fetch Accounts again.",
                bank=bank,
            )
        return self.env._(
            "Ponto has no account of %(bank)s authorised for this integration. In "
            "Ponto, open Integrations, choose this integration, and add the "
            "accounts of %(bank)s to it (if the bank is not there, first add it "
            "under Accounts). Then click Fetch Accounts again.",
            bank=bank,
        )
