"""The scenarios of the fault campaign (issue 7, R1), as data; the runner is
``test_fault_campaign.py``.

Each scenario injects a fault into the Ponto simulator (its own API: faults,
knobs, bank-side operations), lets the scheduler run once (``faulty_runs``), and
says what a bookkeeper must then see on the connection the fault aims at
(``outcome``) and in its journals (``read``). The runner then clears the fault,
recovers the way a user would (``recover``) and checks a clean run: connected,
every journal equal to the simulator's booked transactions, none twice.

Outcomes (the mapping of ``models/bank_sync_link_state.py``):

- ``ok``: retried within the run; connected, no error recorded;
- ``transient``: rate limited or unavailable; still connected (silent for a
  day), the error recorded, retried later;
- ``maintenance``: the bank in maintenance; connected, the maintenance code;
- ``error``: the provider answered something unreadable; state error;
- ``auth``: credentials or tokens refused; state error;
- ``expired``: the bank consent ended; state expired;
- ``bad_record``: one transaction cannot be decoded; state error and its
  provider id in the message, every other transaction imported (defect 5).

Reads: ``all`` (the journals equal the booked transactions already), ``subset``
(what is there is right, some may be missing until the next run), ``all_but_bad``
(everything except the transactions the fault spoiled).

``defect`` names the defect of issue 7 for which the scenario fails on the
engine the issue was written against (see the runner's docstring).
"""

from collections.abc import Callable
from dataclasses import dataclass

OK, TRANSIENT, MAINTENANCE = "ok", "transient", "maintenance"
ERROR, AUTH, EXPIRED, BAD_RECORD = "error", "auth", "expired", "bad_record"
ALL, SUBSET, ALL_BUT_BAD = "all", "subset", "all_but_bad"
#: a Retry-After longer than the client sleeps on (max_retry_after = 60 s):
#: handed back at once, so that "forever" faults cost no waiting
LONG = 600
TX = "/accounts/*/transactions"
#: the simulator's refresh of the access token (30 min lifetime) is forced by
#: moving its clock past the token's expiry: the next call gets a 401
TOKEN_LIFETIME_MIN = 31


@dataclass(frozen=True)
class Scenario:
    name: str
    inject: Callable  # see "An injection" below
    link: str = "api"  # the connection aimed at: "api", "connect" or "both"
    outcome: str = OK
    read: str = ALL
    #: the accounts the fault aims at ("checking", "savings", "bnp"); () = all
    #: of the link; the others must be imported completely whatever happens
    accounts: tuple = ()
    recover: str = "run"  # "run", "renew" (consent) or "reconnect" (authorise)
    faulty_runs: int = 1
    defect: str = ""
    #: the client's read timeout on the wire during the faulty runs (seconds)
    wire_timeout: float = None
    slow: bool = False  # only with BANK_SYNC_CAMPAIGN_ROUNDS (make chaos)
    check: Callable = None  # check(case, before) after the faulty runs
    #: more transactions queued on "checking" for the fault step: 3 pages of 10
    queue_many: int = 0


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


S = Scenario
SCENARIOS = [
    # --- rate limits ---------------------------------------------------------------
    S("429 with Retry-After, retried", fault("429", "GET", TX, retry_after=1)),
    S("429 without Retry-After, retried", fault("429", "GET", TX, retry_after=None)),
    S(
        "429 with a long Retry-After on the transactions",
        fault("429", "GET", TX, times=None, retry_after=LONG),
        outcome=TRANSIENT,
        read=SUBSET,
        check=check_retry_later,
    ),
    S(
        "429 with an unreadable Retry-After, retried",
        fault("429", "GET", TX, retry_after="soon"),
        defect="http.py: an unreadable Retry-After raises requests' InvalidHeader",
    ),
    S(
        "429 on the synchronization: read what Ponto has",
        both(
            API_ACCOUNTS,
            fault("429", "POST", "/synchronizations", times=None, retry_after=LONG),
        ),
        outcome=TRANSIENT,
        defect="7",
    ),
    S(
        "unattended quota spent (4 per day): read what Ponto has",
        both(ponto_synced("checking", "savings", "bnp"), knobs(unattended_quota=0)),
        link="both",
        outcome=TRANSIENT,
        defect="7",
    ),
    # --- server errors ---------------------------------------------------------------
    S("500 twice, retried", fault("500", "GET", TX, times=2)),
    S(
        "500 on every try (the first account's 4)",
        fault("500", "GET", TX, times=4),
        outcome=TRANSIENT,
        read=SUBSET,
    ),
    S(
        "503 with Retry-After on the account details, retried",
        fault("503", "GET", "/accounts/{savings}", retry_after=1),
    ),
    S(
        "503 for longer than the client waits",
        fault("503", "GET", TX, times=None, retry_after=LONG),
        outcome=TRANSIENT,
        read=SUBSET,
    ),
    S(
        "504 on creating the synchronization, retried",
        fault("504", "POST", "/synchronizations"),
    ),
    S(
        "provider down for both connections",
        both(
            fault("503", times=None, retry_after=LONG),
            fault("503", times=None, retry_after=LONG, profile="connect"),
        ),
        link="both",
        outcome=TRANSIENT,
        read=SUBSET,
    ),
    # --- timeouts and dropped connections -----------------------------------------
    S(
        "read timeout, retried",
        fault("slow", "GET", TX, delay=0.6),
        wire_timeout=0.25,
    ),
    S(
        "read timeout on every try",
        fault("slow", "GET", TX, delay=0.6, times=4),
        wire_timeout=0.25,
        outcome=TRANSIENT,
        read=SUBSET,
    ),
    S(
        "synchronization poll times out: read what Ponto has",
        both(
            API_ACCOUNTS,
            knobs(sync_polls=2),
            fault("slow", "GET", "/synchronizations/*", delay=0.6, times=4),
        ),
        wire_timeout=0.25,
        outcome=TRANSIENT,
        defect="7",
    ),
    S(
        "synchronization never ends within the client's poll timeout (120 s)",
        both(API_ACCOUNTS, knobs(sync_polls=10**6)),
        outcome=TRANSIENT,
        defect="7",
        slow=True,
    ),
    S("connection dropped, retried", fault("drop", "GET", TX)),
    S(
        "token endpoint drops every connection (one login's 4 tries)",
        both(expire_token, fault("drop", "POST", "/oauth2/token", times=4)),
        outcome=TRANSIENT,
        read=SUBSET,
    ),
    S(
        "synchronization created but its answer lost",
        fault("drop_after", "POST", "/synchronizations"),
        check=check_one_sync_per_account,
    ),
    # --- unreadable answers ----------------------------------------------------------
    S(
        "malformed JSON on the transactions",
        fault("malformed", "GET", "/accounts/{checking}/transactions"),
        accounts=("checking",),
        outcome=ERROR,
        read=SUBSET,
    ),
    S(
        "malformed JSON on the account details",
        fault("malformed", "GET", "/accounts/{savings}"),
        accounts=("savings",),
        outcome=ERROR,
    ),
    S(
        "transactions answer without data",
        fault("missing_fields", "GET", "/accounts/{checking}/transactions"),
        accounts=("checking",),
        outcome=ERROR,
        read=SUBSET,
    ),
    S(
        "synchronization answer without status",
        fault("missing_fields", "POST", "/synchronizations", variant="no_attributes"),
        outcome=ERROR,
        read=SUBSET,
    ),
    S(
        "duplicate ids inside a page",
        fault("duplicate_ids", "GET", "/accounts/{checking}/transactions"),
    ),
    S(
        "503 on page 3 of 3",
        fault(
            "503",
            "GET",
            "/accounts/{checking}/transactions",
            times=None,
            retry_after=LONG,
            skip=2,
        ),
        accounts=("checking",),
        outcome=TRANSIENT,
        read=SUBSET,
        queue_many=25,
    ),
    S(
        "malformed JSON on page 2 of 3",
        fault("malformed", "GET", "/accounts/{checking}/transactions", skip=1),
        accounts=("checking",),
        outcome=ERROR,
        read=SUBSET,
        queue_many=25,
    ),
    S(
        "a transaction with an unreadable amount",
        fault("bad_transaction", "GET", "/accounts/{checking}/transactions", index=1),
        accounts=("checking",),
        outcome=BAD_RECORD,
        read=ALL_BUT_BAD,
        defect="5",
    ),
    S(
        "a transaction with an unreadable date, among several pages",
        fault(
            "bad_transaction",
            "GET",
            "/accounts/{checking}/transactions",
            variant="date",
            skip=1,
            index=1,
        ),
        accounts=("checking",),
        outcome=BAD_RECORD,
        read=ALL_BUT_BAD,
        defect="5",
        queue_many=25,
    ),
    # --- synchronization errors, consent, maintenance ----------------------------
    S(
        "synchronization ends in error: read what Ponto has",
        both(
            API_ACCOUNTS,
            fault(
                "sync_error", "POST", "/synchronizations", code="synchronizationFailed"
            ),
        ),
        outcome=TRANSIENT,
    ),
    S(
        "synchronization fails while polled: read what Ponto has",
        both(
            API_ACCOUNTS,
            knobs(sync_polls=1),
            fault("sync_error", "GET", "/synchronizations/*"),
        ),
        outcome=TRANSIENT,
    ),
    S(
        "consent withdrawn at the bank (authorizationInvalid)",
        fault(
            "sync_error",
            "POST",
            "/synchronizations",
            code="authorizationInvalid",
            times=None,
        ),
        outcome=EXPIRED,
        read=SUBSET,
        recover="renew",
    ),
    S(
        "consent expired (authorizationExpired)",
        bank("expire_consent", "checking"),
        outcome=EXPIRED,
        read=SUBSET,
        recover="renew",
    ),
    S(
        "consent expired, reported as authorizationInvalid",
        both(
            knobs(expired_error_code="authorizationInvalid"),
            bank("expire_consent", "savings"),
        ),
        outcome=EXPIRED,
        read=SUBSET,
        recover="renew",
    ),
    S(
        "bank in maintenance: read what Ponto has",
        both(API_ACCOUNTS, bank("set_maintenance", "kbc")),
        outcome=MAINTENANCE,
    ),
    S(
        "bank in maintenance, reported as financialInstitutionUnavailable",
        both(
            API_ACCOUNTS,
            knobs(maintenance_error_code="financialInstitutionUnavailable"),
            bank("set_maintenance", "kbc"),
        ),
        outcome=MAINTENANCE,
    ),
    # --- Ponto Connect: tokens ----------------------------------------------------
    S(
        "access token expired early: refreshed once",
        expire_token,
        link="connect",
        check=check_refreshed_once,
    ),
    S(
        "refresh token refused (invalid_grant)",
        connect_fault("invalid_grant"),
        link="connect",
        outcome=AUTH,
        read=SUBSET,
    ),
    S(
        "token endpoint unavailable during the refresh",
        connect_fault("503", retry_after=LONG, times=None),
        link="connect",
        outcome=TRANSIENT,
        read=SUBSET,
    ),
    S(
        "refresh answer lost, the rotated token reused",
        connect_fault("drop_after"),
        link="connect",
        # the lost answer is a network error; the next run presents the burned
        # token again (the reuse) and the provider refuses it
        faulty_runs=2,
        outcome=AUTH,
        read=SUBSET,
        recover="reconnect",
        check=check_reuse_refused,
        defect="1 (Renew presents the refused refresh token once more)",
    ),
    S(
        "refresh, then an unexpected error rolls the run back",
        both(expire_token, fault("429", "GET", TX, profile="connect", retry_after="-")),
        link="connect",
        defect="1 (the rotated token rolled back), http.py (Retry-After '-')",
    ),
    S(
        "500 on a Connect synchronization, retried",
        fault("500", "POST", "/synchronizations", profile="connect"),
        link="connect",
    ),
    S(
        "duplicate ids in a Connect page",
        fault("duplicate_ids", "GET", TX, profile="connect"),
        link="connect",
    ),
]
