"""How the fault campaign's scenarios (``fault_scenarios.py``) act on the Ponto
simulator, and the extra checks some of them make. Odoo-free."""

#: a Retry-After longer than the client sleeps on (max_retry_after = 60 s):
#: handed back at once, so that "forever" faults cost no waiting
LONG = 600
TX = "/accounts/*/transactions"
#: the simulator's refresh of the access token (30 min lifetime) is forced by
#: moving its clock past the token's expiry: the next call gets a 401
TOKEN_LIFETIME_MIN = 31


# An injection is ``inject(sim, ids) -> [faults added]``; ``ids`` maps the
# account keys ("checking", "savings", "bnp") to the simulator's account ids.


def fault(kind, method=None, path="*", profile="api", **kw):
    def inject(sim, ids):
        return [sim.add_fault(kind, method, path.format(**ids), profile=profile, **kw)]

    return inject


def knobs(**values):
    def inject(sim, ids):
        for name, value in values.items():
            setattr(sim, name, value)
        return []

    return inject


def bank(operation, *args):
    """A bank-side operation of the simulator (``expire_consent``, ...); an
    account key in ``args`` is replaced by its id."""

    def inject(sim, ids):
        getattr(sim, operation)(*(ids.get(arg, arg) for arg in args))
        return []

    return inject


def both(*injects):
    def inject(sim, ids):
        return [f for one in injects for f in one(sim, ids)]

    return inject


def ponto_synced(*keys):
    """Ponto refreshed these accounts on its own schedule: it holds new
    transactions our journals do not have yet (what a refused or failed
    refresh must still let the engine read)."""

    def inject(sim, ids):
        for key in keys:
            sim.provider_sync(ids[key])
        return []

    return inject


API_ACCOUNTS = ponto_synced("checking", "savings")


def expire_token(sim, ids):
    sim.advance(minutes=TOKEN_LIFETIME_MIN)
    return []


def connect_fault(kind, method="POST", path="/oauth2/token", **kw):
    return both(expire_token, fault(kind, method, path, profile="connect", **kw))


def check_retry_later(case, before):
    """Retry-After: 600 seen by the user as the next synchronization."""
    case.assert_next_sync_after(case.api_link, seconds=LONG - 60)


def check_one_sync_per_account(case, before):
    """The answer was lost, the retry carried the same idempotency key: no
    second synchronization at the provider."""
    created = case.sim_syncs() - before["syncs"]
    case.assertEqual(created, len(case.api_link.online_account_ids))


def check_refreshed_once(case, before):
    stats = case.sim.refresh_token_stats()
    case.assertEqual(stats["refreshes"], before["refresh"]["refreshes"] + 1)


def check_reuse_refused(case, before):
    """The rotated token's answer was lost. Presenting the old token once more
    (the only way to learn whether the refresh reached Ponto) is refused; an
    engine may also give up on it without presenting it: at most one reuse,
    the only one of the campaign."""
    reuses = case.sim.refresh_token_stats()["reuses"] - before["refresh"]["reuses"]
    case.assertLessEqual(reuses, 1)
    case.expected_reuses += reuses
