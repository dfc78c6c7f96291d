"""The scenarios of the Salt Edge fault campaign (issue 10: R1 of "Trust,
proven" against Salt Edge too), as data; the runner is ``campaign_support.py``,
the stage ``test_saltedge_fault_campaign.py``.

As Ponto's (``fault_scenarios.py`` says what the outcomes and reads mean):
each scenario injects a fault into the Salt Edge simulator (faults on its API,
knobs, Salt Edge's and the bank's own operations: ``saltedge_fault_injections.py``),
lets the scheduler run, and says what a bookkeeper must then see on the
connection it aims at (``link``: "kbc", the seeded connection with two
accounts, "belfius", a second one, or "both") and in its journals.

How Salt Edge's answers map (``clients/saltedge_errors.py``): a refresh refused
too soon is a skip (connected, no error) and the read goes on; a limit is
"transient" with Salt Edge's date; ``ProviderUnavailable`` / ``ProviderInactive``
are the bank's maintenance; an attempt that fails reads what Salt Edge has,
unless its class needs the user (``InvalidCredentials``: Renew); a consent
over is "expired" (Renew, through the widget); a refused signature is the
provider's configuration.
"""

from functools import partial

from .campaign_support import (
    ALL_BUT_BAD,
    AUTH,
    BAD_RECORD,
    CONFIGURATION,
    ERROR,
    EXPIRED,
    MAINTENANCE,
    SUBSET,
    TRANSIENT,
    Scenario,
)
from .fault_injections import LONG, bank, both, fault, knobs
from .saltedge_fault_injections import (
    BELFIUS_REFRESH,
    KBC_FETCHED,
    KBC_REFRESH,
    TX,
    attempt_fails,
    check_never_booked,
    check_one_refresh,
    check_retry_later,
    duplicated_later,
    fetched,
    foreign_signing_key,
    pending,
    provider_status,
    refresh_refused,
    spoil_amount,
    stuck_refresh,
)

KBC = "kbc_business_be"
S = partial(Scenario, link="kbc")
SCENARIOS = [
    # --- the transactions list: rate limits, errors, drops -------------------------
    S(
        "429 with Retry-After on the transactions, retried",
        fault("429", "GET", TX, retry_after=1),
    ),
    S(
        "429 with a long Retry-After on the transactions",
        fault("429", "GET", TX, retry_after=LONG),
        accounts=("current",),
        outcome=TRANSIENT,
        read=SUBSET,
        check=check_retry_later(LONG),
    ),
    S("500 twice on the transactions, retried", fault("500", "GET", TX, times=2)),
    S(
        "503 (ProviderUnavailable) for longer than the client waits",
        fault("503", "GET", TX, retry_after=LONG),
        accounts=("current",),
        outcome=MAINTENANCE,
        read=SUBSET,
    ),
    S(
        "Salt Edge down (500) for both connections",
        fault("500", times=None, retry_after=LONG),
        link="both",
        outcome=TRANSIENT,
        read=SUBSET,
    ),
    S("connection dropped on the transactions, retried", fault("drop", "GET", TX)),
    S(
        "read timeout on the transactions, retried",
        fault("slow", "GET", TX, delay=0.6),
        wire_timeout=0.25,
    ),
    S(
        "429 on reading the connection, retried",
        fault("429", "GET", "/connections/*"),
    ),
    S(
        "Salt Edge's from_id exclusive (the other reading), over 3 pages",
        knobs(from_id_inclusive=False),
        queue_many=25,
    ),
    S(
        "503 with Retry-After on the accounts list, retried",
        fault("503", "GET", "/accounts", retry_after=1),
    ),
    # --- unreadable answers --------------------------------------------------------
    S(
        "malformed JSON on page 2 of 3 of the transactions",
        fault("malformed", "GET", TX, skip=1),
        accounts=("current",),
        outcome=ERROR,
        read=SUBSET,
        queue_many=25,
    ),
    S(
        "malformed JSON on the accounts list (after the lines)",
        fault("malformed", "GET", "/accounts"),
        accounts=("current",),
        outcome=ERROR,
    ),
    S(
        "a transaction with an unreadable amount",
        spoil_amount("current"),
        accounts=("current",),
        outcome=BAD_RECORD,
        read=ALL_BUT_BAD,
    ),
    S(
        "an unreadable amount among 3 pages, for two runs",
        spoil_amount("current"),
        accounts=("current",),
        outcome=BAD_RECORD,
        read=ALL_BUT_BAD,
        faulty_runs=2,
        queue_many=25,
    ),
    S(
        "duplicated transactions appearing later: never booked",
        duplicated_later("current"),
        check=check_never_booked,
    ),
    S("pending transactions: never booked, then once posted", pending("current")),
    # --- the refresh -----------------------------------------------------------------
    S(
        "refresh refused too soon (ConnectionCannotBeRefreshed): read anyway",
        both(
            KBC_FETCHED,
            refresh_refused("ConnectionCannotBeRefreshed", status=406),
        ),
        read_anyway=True,
    ),
    S(
        "daily limit (BackgroundFetchLimitExceeded, Retry-After): read anyway",
        both(
            KBC_FETCHED,
            refresh_refused("BackgroundFetchLimitExceeded", retry_after=3600),
        ),
        outcome=TRANSIENT,
        code="BackgroundFetchLimitExceeded",
        check=check_retry_later(3600),
    ),
    S(
        "daily limit spent at Salt Edge (4 a day, both banks): read anyway",
        both(KBC_FETCHED, fetched("belfius"), knobs(background_fetch_limit=0)),
        link="both",
        outcome=TRANSIENT,
        code="BackgroundFetchLimitExceeded",
    ),
    S(
        "429 on the refresh (RateLimitExceeded): read anyway",
        both(KBC_FETCHED, fault("429", "POST", KBC_REFRESH, retry_after=LONG)),
        outcome=TRANSIENT,
        code="RateLimitExceeded",
    ),
    S(
        "504 on the refresh (ExecutionTimeout): read anyway",
        both(KBC_FETCHED, fault("504", "POST", KBC_REFRESH)),
        outcome=TRANSIENT,
        code="ExecutionTimeout",
    ),
    S(
        "refresh accepted, its answer lost: read, not sent again",
        both(KBC_FETCHED, fault("drop_after", "POST", KBC_REFRESH)),
        outcome=TRANSIENT,
        check=check_one_refresh,
    ),
    S(
        "bank unavailable on the refresh (ProviderUnavailable): read anyway",
        both(
            KBC_FETCHED,
            refresh_refused("ProviderUnavailable"),
        ),
        outcome=MAINTENANCE,
        code="ProviderUnavailable",
    ),
    S(
        "bank inactive at Salt Edge (ProviderInactive): read anyway",
        both(KBC_FETCHED, provider_status(KBC, "inactive")),
        outcome=MAINTENANCE,
        code="ProviderInactive",
    ),
    S(
        "refresh attempt fails (attempt_fail, ProviderUnavailable): read anyway",
        both(
            KBC_FETCHED,
            fault(
                "attempt_fail", "POST", KBC_REFRESH, error_class="ProviderUnavailable"
            ),
        ),
        outcome=MAINTENANCE,
        code="ProviderUnavailable",
    ),
    S(
        "refresh attempt fails (FetchingTimeout): read anyway",
        both(KBC_FETCHED, attempt_fails("FetchingTimeout")),
        outcome=TRANSIENT,
        code="FetchingTimeout",
    ),
    S(
        "refresh attempt fails with a class nobody knows: read anyway",
        both(KBC_FETCHED, attempt_fails("SomethingNewAtTheBank")),
        outcome=TRANSIENT,
        code="SomethingNewAtTheBank",
    ),
    S(
        "refresh never finishes within the poll timeout: read anyway",
        both(KBC_FETCHED, fetched("belfius"), stuck_refresh),
        link="both",
        outcome=TRANSIENT,
        poll_timeout=0.5,
    ),
    S(
        "500 on the Belfius refresh: read anyway",
        both(fetched("belfius"), fault("500", "POST", BELFIUS_REFRESH)),
        link="belfius",
        outcome=TRANSIENT,
    ),
    # --- consent, credentials, configuration -----------------------------------------
    S(
        "consent expired (ConsentExpired): Renew through the widget",
        bank("expire_consent", "kbc_connection"),
        outcome=EXPIRED,
        read=SUBSET,
        recover="renew",
        code="ConsentExpired",
    ),
    S(
        "consent revoked at the bank (ConsentRevoked): Renew",
        bank("revoke_consent", "belfius_connection"),
        link="belfius",
        outcome=EXPIRED,
        read=SUBSET,
        recover="renew",
        code="ConsentRevoked",
    ),
    S(
        "the bank refuses the credentials (InvalidCredentials): Renew",
        attempt_fails("InvalidCredentials"),
        outcome=EXPIRED,
        read=SUBSET,
        recover="renew",
        code="InvalidCredentials",
    ),
    S(
        "Secret refused (WrongClientToken)",
        fault("error", "GET", "*", times=None, error_class="WrongClientToken"),
        link="both",
        outcome=AUTH,
        read=SUBSET,
    ),
    S(
        "request signature refused (SignatureNotMatch): configuration",
        foreign_signing_key,
        link="both",
        outcome=CONFIGURATION,
        read=SUBSET,
        code="SignatureNotMatch",
    ),
]
