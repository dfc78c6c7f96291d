"""The consent reminders (15, 3 and 1 days before) and the expiry, for a Salt
Edge connection: the very cases Ponto's connections pass
(``consent_cases.py``), on the Salt Edge layer."""

from odoo.tests import tagged

from .consent_cases import ExpiryCases, ReminderCases
from .saltedge_common import CURRENT, SaltEdgeCommon


class SaltEdgeConsentHooks:
    @classmethod
    def reminder_account_ref(cls):
        return CURRENT

    def expire_at_provider(self, account):
        connection_id = account.link_id.provider_organization_id
        self.sim.expire_consent(connection_id)
        with self.sim.lock:  # the refresh is allowed, and refused for the consent
            self.sim.world.connections[connection_id].next_refresh_possible_at = None


@tagged("post_install", "-at_install")
class TestSaltEdgeReminders(SaltEdgeConsentHooks, ReminderCases, SaltEdgeCommon):
    pass


@tagged("post_install", "-at_install")
class TestSaltEdgeExpiry(SaltEdgeConsentHooks, ExpiryCases, SaltEdgeCommon):
    pass
