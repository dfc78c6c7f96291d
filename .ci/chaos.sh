#!/usr/bin/env bash
# Proof campaigns against real Odoo processes (tests_chaos/): R2 kills, R3
# concurrency and, in full size, a large first import under Odoo's limits.
#
#   .ci/chaos.sh [full]   `make chaos`: 50 kills, larger R3, 10,000 transactions,
#                         the R1 fault campaign with CHAOS_R1_ROUNDS (2) rounds
#   .ci/chaos.sh ci       what `make test` runs: 20 kills, R3 with 4 processes
#   .ci/chaos.sh ci -k r3 further arguments go to pytest
#
# Each campaign gets a database of its own, copied from a template where the
# module is installed: CHAOS_TEMPLATE_DB names an existing one (make test
# passes its own, after the Odoo suite), else one is installed here and
# dropped at the end. Sizes: CHAOS_KILLS, CHAOS_R3_ROUNDS, CHAOS_R3_FETCHERS,
# CHAOS_BIG (0 = no large import); CHAOS_SEED replays a campaign's random
# choices; CHAOS_ADDON_DIR runs the campaigns against another copy of the
# addon (a `git archive` of a commit, say; its .build/ is used); KEEP_DB=1
# keeps the databases; CHAOS_TIMEOUT bounds the whole run (timeout(1)).
set -uo pipefail

MODULE=account_bank_sync
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
SIZE=${1:-full}
shift $(($# ? 1 : 0))  # the rest goes to pytest (-k r3, -x, ...)
export CHAOS_ADDON_DIR=${CHAOS_ADDON_DIR:-$HERE}
CHAOS_ADDON_DIR=$(cd "$CHAOS_ADDON_DIR" && pwd)
# write_odoo_conf (.ci/odoo-conf.sh) links $ROOT as $BUILD/addons/$MODULE
ROOT=$CHAOS_ADDON_DIR
BUILD=$CHAOS_ADDON_DIR/.build
export CHAOS_BUILD=$BUILD
export TZ=UTC

case "$SIZE" in
    ci)
        : "${CHAOS_KILLS:=20}" "${CHAOS_R3_ROUNDS:=4}" "${CHAOS_R3_FETCHERS:=2}"
        : "${CHAOS_BIG:=0}" "${CHAOS_TIMEOUT:=12m}"
        ;;
    full)
        : "${CHAOS_KILLS:=50}" "${CHAOS_R3_ROUNDS:=12}" "${CHAOS_R3_FETCHERS:=3}"
        : "${CHAOS_BIG:=10000}" "${CHAOS_TIMEOUT:=90m}"
        ;;
    *)
        echo "usage: $0 [full|ci]" >&2
        exit 2
        ;;
esac
export CHAOS_KILLS CHAOS_R3_ROUNDS CHAOS_R3_FETCHERS CHAOS_BIG

TIMEOUT=(timeout -k 30)
[ -t 0 ] && TIMEOUT=(timeout --foreground -k 30)
say() { printf '\n=== %s\n' "$*"; }
# shellcheck source=.ci/odoo-conf.sh
. "$HERE/.ci/odoo-conf.sh"

OWN_TEMPLATE=
CONF=
cleanup() {
    [ -n "$CONF" ] && rm -f "$CONF"
    [ -n "${SUMMARY:-}" ] && rm -f "$SUMMARY"
    [ -n "$OWN_TEMPLATE" ] || return 0
    if [ "${KEEP_DB:-0}" = 1 ]; then
        echo "Kept database $OWN_TEMPLATE (KEEP_DB=1)."
        return 0
    fi
    dropdb --if-exists "$OWN_TEMPLATE" >/dev/null 2>&1 \
        || echo "WARNING: could not drop $OWN_TEMPLATE"
    rm -rf "$BUILD/data/filestore/$OWN_TEMPLATE"
}
trap cleanup EXIT

if [ -n "${CHAOS_TEMPLATE_DB:-}" ]; then
    TEMPLATE=$CHAOS_TEMPLATE_DB
else
    TEMPLATE="${MODULE}_chaos_$(date +%Y%m%d%H%M%S)_$$"
    OWN_TEMPLATE=$TEMPLATE
fi
CONF="$BUILD/$TEMPLATE.chaos.conf"
write_odoo_conf "$TEMPLATE" "$CONF" "http_interface = 127.0.0.1" "log_level = warn" \
    || exit 1
if [ -n "$OWN_TEMPLATE" ]; then
    say "Installing $MODULE into the template database $TEMPLATE"
    (cd "$BUILD" && "${TIMEOUT[@]}" 15m "$PYTHON" -m odoo -c "$CONF" -d "$TEMPLATE" \
        -i "$MODULE" --stop-after-init)
    rc=$?
    state=$(psql -d "$TEMPLATE" -Atc \
        "SELECT state FROM ir_module_module WHERE name = '$MODULE'" 2>&1)
    if [ "$rc" -ne 0 ] || [ "$state" != installed ]; then
        echo "FAILED: installing $MODULE (exit $rc, module state: ${state:-none})."
        exit 1
    fi
fi
export CHAOS_CONF=$CONF CHAOS_TEMPLATE_DB=$TEMPLATE
SUMMARY=$(mktemp)
export CHAOS_SUMMARY=$SUMMARY

commit=${CHAOS_COMMIT:-$(git -C "$CHAOS_ADDON_DIR" rev-parse --short HEAD 2>/dev/null || echo "?")}
dirty=$(git -C "$CHAOS_ADDON_DIR" status --porcelain -- models wizards clients \
    controllers 2>/dev/null | wc -l)
say "Chaos campaigns ($SIZE: kills=$CHAOS_KILLS, R3 rounds=$CHAOS_R3_ROUNDS" \
    "fetchers=$CHAOS_R3_FETCHERS, big=$CHAOS_BIG) on $CHAOS_ADDON_DIR" \
    "(commit $commit, $dirty changed files in models/ wizards/ clients/ controllers/)"
# Run from the checkout of the campaigns (pyproject.toml's settings: no
# pytest-odoo, importlib mode); the campaigns start Odoo from $BUILD.
(cd "$HERE" && "${TIMEOUT[@]}" "$CHAOS_TIMEOUT" "$PYTHON" -m pytest -p no:cacheprovider \
    -s -q tests_chaos "$@")
rc=$?
[ "$rc" -eq 124 ] && echo "FAILED: the chaos campaigns timed out after $CHAOS_TIMEOUT."
[ "$rc" -eq 5 ] && echo "FAILED: no chaos campaign collected."

# Full size: the R1 fault campaign (tests/test_fault_campaign.py, 41 scenarios
# in make test) again, with CHAOS_R1_ROUNDS shuffled rounds of random
# scenarios after it, on the template database (its test transaction is
# rolled back).
if [ "$SIZE" = full ] && [ "${CHAOS_R1_ROUNDS:-2}" != 0 ]; then
    say "R1 fault campaign with ${CHAOS_R1_ROUNDS:-2} shuffled rounds"
    R1_REPORT=$(mktemp)
    (cd "$BUILD" && BANK_SYNC_CAMPAIGN_ROUNDS=${CHAOS_R1_ROUNDS:-2} \
        BANK_SYNC_CAMPAIGN_REPORT=$R1_REPORT PYTHONPATH="$HERE/.ci" \
        "${TIMEOUT[@]}" 40m "$PYTHON" -m pytest -p pytest_odoo_quiet \
        -c "$HERE/.ci/pytest-odoo.ini" --rootdir="$BUILD/addons/$MODULE" \
        --odoo-config="$CONF" --odoo-database="$TEMPLATE" --odoo-http \
        --odoo-log-level=warn "$BUILD/addons/$MODULE/tests/test_fault_campaign.py")
    r1=$?
    sed 's/^/r1_faults: /' "$R1_REPORT" >> "$SUMMARY"
    rm -f "$R1_REPORT"
    [ "$rc" -eq 0 ] && rc=$r1
fi
say "Chaos summary (commit $commit)"
cat "$SUMMARY"
exit "$rc"
