"""The scenarios of the fault campaign (issue 7, R1), as data; the runner is
``campaign_support.py`` (``Scenario``), the stage ``test_fault_campaign.py``
(Salt Edge's: ``saltedge_fault_scenarios.py``).

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
- ``configuration``: the provider refused the provider's settings (a request
  signature, an address); state error;
- ``expired``: the bank consent ended; state expired;
- ``bad_record``: one transaction cannot be decoded; state error and its
  provider id in the message, every other transaction imported (defect 5).

Reads: ``all`` (the journals equal the booked transactions already), ``subset``
(what is there is right, some may be missing until the next run), ``all_but_bad``
(everything except the transactions the fault spoiled).

``defect`` names the defect of issue 7 for which the scenario fails on the
engine the issue was written against (commit 72f0aa9, before the fixes):

- "429 with an unreadable Retry-After, retried": clients/http.py lets urllib3's
  InvalidHeader escape; the cron marks the connection failed (state error);
- "429 on the synchronization", "unattended quota spent", "synchronization
  poll times out" (and the slow "synchronization never ends ..."): defect 7,
  the refused or unfinished refresh skips the read (booked, not imported);
- "a transaction with an unreadable amount" / "... date ...": defect 5, the
  message does not name the transaction and the page's others are held up;
- "refresh answer lost, the rotated token reused": defect 1, Renew presents
  the refused refresh token to Ponto once more before authorising again;
- "refresh, then an unexpected error rolls the run back": defect 1, the
  rotated token is rolled back with the run and the next refresh is refused.
"""

from .campaign_support import (
    ALL_BUT_BAD,
    AUTH,
    BAD_RECORD,
    ERROR,
    EXPIRED,
    MAINTENANCE,
    SUBSET,
    TRANSIENT,
    Scenario,
)
from .fault_injections import (
    API_ACCOUNTS,
    LONG,
    TX,
    bank,
    both,
    check_one_sync_per_account,
    check_refreshed_once,
    check_retry_later,
    check_reuse_refused,
    connect_fault,
    expire_token,
    fault,
    knobs,
    ponto_synced,
)

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
        both(API_ACCOUNTS, fault("sync_stuck", "POST", "/synchronizations")),
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
