"""Tokens are durable the moment the provider issues them, and one client of a
connection works at a time (the connection's lock).

Durability and locks only exist between transactions, so these tests commit
their own connection through cursors of their own (and remove it afterwards);
the test transaction itself is untouched."""

from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

from odoo import SUPERUSER_ID, api, fields, sql_db
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.account_bank_sync.models.bank_sync_lock import LOCK_CLASS

from .ponto_common import PontoCommon


@tagged("post_install", "-at_install")
class TestTokens(PontoCommon):
    def committed(self, values):
        """A connection of a new provider (``values``), committed."""
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            provider = env["bank.sync.provider"].create(values)
            link = env["bank.sync.link"].create(
                {"provider_id": provider.id, "state": "draft"}
            )
            ids = (provider.id, link.id)
        self.addCleanup(self._remove_committed, *ids)
        return ids

    def _remove_committed(self, provider_id, link_id):
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["bank.sync.auth.session"].sudo().search(
                [("link_id", "=", link_id)]
            ).unlink()
            env["bank.sync.link"].browse(link_id).unlink()
            env["bank.sync.provider"].browse(provider_id).unlink()

    def connect(self, link_id):
        """The Ponto Connect authorization, committed: returns the tokens."""
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            link = env["bank.sync.link"].browse(link_id)
            url = env["bank.sync.auth.session"]._start_authorization(link)
        query = dict(parse_qsl(urlsplit(self.sim.complete_authorization(url)).query))
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            session = env["bank.sync.auth.session"]._consume(query["state"])
            session._complete(query)
        return self.stored(link_id)

    def stored(self, link_id):
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT access_token, refresh_token FROM bank_sync_token "
                "WHERE link_id = %s",
                [link_id],
            )
            return cr.fetchone()

    def expire_access_token(self, link_id):
        with self.env.registry.cursor() as cr:
            cr.execute(
                "UPDATE bank_sync_token SET expires_at = %s WHERE link_id = %s",
                [fields.Datetime.now() - timedelta(hours=1), link_id],
            )

    def refreshes(self, status=None):
        return [
            r
            for r in self.sim.requests
            if r.method == "POST"
            and r.path.endswith("/oauth2/token")
            and b"grant_type=refresh_token" in (r.body or b"")
            and (status is None or r.status == status)
        ]

    def test_rotated_refresh_token_survives_a_rollback(self):
        """Defect 1: the refresh happens, then the caller's transaction rolls
        back (an exception, a killed worker): the new token is kept."""
        _, link_id = self.committed(self.provider_values("connect"))
        access, refresh = self.connect(link_id)
        self.assertTrue(access and refresh)
        self.expire_access_token(link_id)
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            link = env["bank.sync.link"].browse(link_id)
            with link._bank_sync_locked():
                link._get_client().list_accounts()  # refreshes first
            cr.rollback()  # whatever came after the refresh failed
        self.assertEqual(len(self.refreshes(200)), 1)
        new_access, new_refresh = self.stored(link_id)
        self.assertNotEqual(new_refresh, refresh, "the rotated token is stored")
        self.assertNotEqual(new_access, access)
        # and it works: the next refresh is accepted
        self.expire_access_token(link_id)
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            link = env["bank.sync.link"].browse(link_id)
            with link._bank_sync_locked():
                self.assertTrue(link._get_client().list_accounts())
        self.assertEqual(len(self.refreshes(200)), 2)
        self.assertFalse([r for r in self.refreshes() if r.status != 200])

    def test_tokens_of_an_uncommitted_connection_stay_in_its_transaction(self):
        provider = self.create_provider("connect")
        link = self.env["bank.sync.link"].create({"provider_id": provider.id})
        link.sudo().write({"access_token": "a", "refresh_token": "r"})
        self.assertEqual(link.sudo().refresh_token, "r")
        self.assertEqual(link._bank_sync_token_set().refresh_token, "r")
        self.assertIsNone(self.stored(link.id), "nothing committed apart")

    def test_tokens_never_move_to_another_provider(self):
        link = self.make_link()
        other = self.create_provider("api", name="Other")
        with self.assertRaisesRegex(UserError, "cannot change while it is connected"):
            link.provider_id = other
        link.state = "disconnected"
        link.provider_id = other
        self.assertEqual(link.provider_id, other)

    def test_no_client_outside_the_lock(self):
        link = self.make_link()
        with self.assertRaises(RuntimeError):
            link._get_client()
        with link._bank_sync_locked() as obtained:
            self.assertTrue(obtained)
            self.assertTrue(link._get_client())


@tagged("post_install", "-at_install")
class TestConnectionLock(PontoCommon):
    """Another worker holds the connection's lock (it is synchronizing)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.link, cls.account, cls.journal = cls.linked_account(
            cls.sim.ACCOUNT_SAVINGS_ID
        )

    def setUp(self):
        super().setUp()
        self.other = sql_db.db_connect(self.env.cr.dbname).cursor()
        self.addCleanup(self.other.close)
        self.other.execute(
            "SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, self.link.id]
        )
        self.addCleanup(self.release)
        self.sim.reset_log()

    def release(self):
        self.other.execute("SELECT pg_advisory_unlock_all()")

    def test_cron_skips_it_then_synchronizes_it(self):
        self.env["bank.sync.link"]._cron_sync_transactions()
        self.assertFalse(self.lines(), "skipped while another worker holds it")
        self.assertEqual(self.sim.count(path_glob="*/transactions*"), 0)
        self.release()
        self.env["bank.sync.link"]._cron_sync_transactions()
        self.assertEqual(len(self.lines()), 6)

    def test_fetch_transactions_says_it_runs(self):
        action = self.link.action_fetch_transactions()
        self.assertIn("already running", action["params"]["message"])
        self.assertFalse(self.lines())
        self.assertEqual(len(self.sim.requests), 0)

    def test_fetch_accounts_waits_then_says_it_runs(self):
        with self.assertRaisesRegex(UserError, "is running"):
            self.link.action_fetch_accounts()
        self.assertEqual(len(self.sim.requests), 0)

    def test_sync_on_open_does_not_block_nor_write(self):
        """Defect 8: opening a journal while a sync runs returns at once."""
        self.link.last_sync = fields.Datetime.now() - timedelta(hours=3)
        self.link.flush_recordset()
        self.assertFalse(self.link._bank_sync_sync_on_open())
        self.assertFalse(self.link.sync_on_open_at)
        self.release()
        self.assertTrue(self.link._bank_sync_sync_on_open())


@tagged("post_install", "-at_install")
class TestLockedAcrossWorkers(PontoCommon):
    def test_locked_connection_is_skipped_by_a_cron_worker(self):
        """The same with committed data and two real workers' cursors."""
        registry = self.env.registry
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            provider = env["bank.sync.provider"].create(
                self.provider_values("api", env.company, name="Locking")
            )
            link = env["bank.sync.link"].create(
                {"provider_id": provider.id, "state": "connected"}
            )
            ids = (provider.id, link.id)
        self.addCleanup(TestTokens._remove_committed, self, *ids)

        def cron_run():
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["bank.sync.link"]._cron_sync_transactions()
                synced = bool(env["bank.sync.link"].browse(ids[1]).last_sync)
                cr.rollback()
            return synced

        worker = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            worker.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_CLASS, ids[1]])
            self.assertFalse(cron_run(), "skipped while another worker holds it")
            worker.execute("SELECT pg_advisory_unlock_all()")
        finally:
            worker.close()
        self.assertTrue(cron_run(), "synchronized once released")
