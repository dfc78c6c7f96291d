"""The Example Bank API on the provider seam: its code, defaults and hooks,
and nothing else (the core is not changed to add it)."""

from odoo import fields, models

from ..example_client import ExampleClient

DEFAULT_URLS = {
    "api_base_url": "https://api.example-bank.invalid",
    "authorization_url": "https://connect.example-bank.invalid/authorize",
}


class BankSyncProvider(models.Model):
    _inherit = "bank.sync.provider"

    code = fields.Selection(
        selection_add=[("example", "Example Bank API")],
        ondelete={"example": "set default"},
    )

    def _get_default_urls(self):
        if self.code != "example":
            return super()._get_default_urls()
        return dict(DEFAULT_URLS)

    def _get_client_class(self):
        if self.code != "example":
            return super()._get_client_class()
        return ExampleClient

    def _get_client_kwargs(self, link=None):
        if self.code != "example":
            return super()._get_client_kwargs(link)
        return {
            **super()._get_client_kwargs(link),
            "authorization_url": self.sudo().authorization_url,
            # the customer of the provider's return (bank.sync.auth.session)
            "customer_id": link.sudo().provider_organization_id if link else None,
        }
