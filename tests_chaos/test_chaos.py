"""R2 kills, R3 concurrency and the large first import, against real Odoo
processes (see each campaign's module). Sizes come from the environment:
CHAOS_KILLS (R2, default 20), CHAOS_R3_ROUNDS and CHAOS_R3_FETCHERS (R3,
default 4 rounds, 2 manual fetchers), CHAOS_BIG (transactions of the large
first import, 0 = skipped), CHAOS_WEBHOOKS (Ponto Connect events, default 5)."""

import chaos_big
import chaos_r2
import chaos_r3
import chaos_webhooks
import pytest
from conftest import size


def test_r2_kills(settings, report):
    report(chaos_r2.run(settings, kills=size("CHAOS_KILLS", 20)))


def test_r3_concurrency(settings, report):
    report(
        chaos_r3.run(
            settings,
            rounds=size("CHAOS_R3_ROUNDS", 4),
            fetchers=size("CHAOS_R3_FETCHERS", 2),
        )
    )


def test_big_first_import(settings, report):
    count = size("CHAOS_BIG", 0)
    if not count:
        pytest.skip("CHAOS_BIG=0 (make chaos imports 10,000 transactions)")
    report(
        chaos_big.run(
            settings, count=count, limit_time_real=size("CHAOS_BIG_LIMIT", 120)
        )
    )


def test_webhooks_to_the_journal(settings, report):
    report(chaos_webhooks.run(settings, events=size("CHAOS_WEBHOOKS", 5)))
