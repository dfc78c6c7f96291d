#!/usr/bin/env bash
# `make bench`: performance figures of the import engine, each a ratio against
# a baseline measured in the same run on the same database (never an absolute
# timing to compare with another machine).
#
#   P1  the cron's import of N new transactions (HTTPS to the Ponto simulator,
#       real commits) against a bare batch create() of the same lines, and the
#       per-line cost at each N against the smallest N (linearity)
#   P2  HTTP requests and SQL queries of a sync with nothing new, per account
#   W   the webhook-to-line latency, median and max over BENCH_WEBHOOKS (20)
#       Ponto Connect events, on a prefork server whose cron worker is woken
#       by the trigger (bench/bench_webhooks.py; an absolute time, bounded at
#       60 s by issue 11, not a ratio)
#
# It starts the Ponto simulator (its own port), creates a fresh database with
# the module, runs bench/bench.py in an Odoo process of its own (as a cron
# worker), then stops the simulator and drops the database.
#
# Environment: BENCH_N (1000,10000: one import per size, on its own account),
# BENCH_WEBHOOKS (20; 0 = no W),
# BENCH_BUDGET (sets account_bank_sync.cron_time_budget, seconds; default: the
# module's), BENCH_REV (measure that commit, exported with `git archive` into
# a build directory of its own, instead of the working tree), KEEP_DB=1,
# PYTHON (python3), PGHOST and friends.
set -euo pipefail

MODULE=account_bank_sync
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHECKOUT=$(cd "$HERE/.." && pwd)
ROOT=$CHECKOUT
BUILD=$CHECKOUT/.build
SNAPSHOT=
if [ -n "${BENCH_REV:-}" ]; then
    rev=$(git -C "$CHECKOUT" rev-parse --short "$BENCH_REV^{commit}")
    SNAPSHOT=$CHECKOUT/.build/bench-$rev-$$
    BUILD=$SNAPSHOT
    ROOT=$SNAPSHOT/src
    mkdir -p "$ROOT"
    git -C "$CHECKOUT" archive "$rev" | tar -x -C "$ROOT"
    MEASURED="commit $rev (BENCH_REV)"
else
    rev=$(git -C "$CHECKOUT" rev-parse --short HEAD)
    dirty=$(git -C "$CHECKOUT" status --porcelain -- . ':!bench')
    MEASURED="working tree at $rev${dirty:+ with uncommitted changes}"
fi
PYTHON=${PYTHON:-python3}
BENCH_N=${BENCH_N:-1000,10000}
export TZ=UTC  # odoo-bin sets this before importing Odoo; `python3 -m odoo` does not
# shellcheck source=.ci/odoo-conf.sh
. "$ROOT/.ci/odoo-conf.sh"
cd "$ROOT"

"$PYTHON" -c "import odoo.release as r; assert r.version_info[0] == 18" 2>/dev/null \
    || { echo "make bench needs Odoo 18 importable by $PYTHON (see README.rst)"; exit 1; }

DB="${MODULE}_bench_$(date +%Y%m%d%H%M%S)_$$"
WH_DB="${DB}_wh"  # W's template: a copy of the fresh database
CONF=$BUILD/$DB.conf
SIM_LOG=$CHECKOUT/.build/$DB-simulator.log
SIM_PID=
mkdir -p "$BUILD" "$CHECKOUT/.build"

cleanup() {
    local rc=$?
    if [ -n "$SIM_PID" ]; then
        kill "$SIM_PID" 2>/dev/null || true
        wait "$SIM_PID" 2>/dev/null || true
    fi
    rm -f "$CONF"
    if [ "${KEEP_DB:-0}" = 1 ]; then
        echo "Kept database $DB (KEEP_DB=1)."
    else
        dropdb --if-exists "$DB" >/dev/null 2>&1 || echo "WARNING: could not drop $DB"
        rm -rf "$BUILD/data/filestore/$DB"
    fi
    dropdb --if-exists "$WH_DB" >/dev/null 2>&1 || echo "WARNING: could not drop $WH_DB"
    rm -rf "$BUILD/data/filestore/$WH_DB"
    if [ "$rc" -eq 0 ]; then
        rm -f "$SIM_LOG"
    else
        echo "Simulator log: $SIM_LOG"
    fi
    [ -z "$SNAPSHOT" ] || rm -rf "$SNAPSHOT"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# No history before the bench (only the queued transactions are imported) and
# synchronizations final at once (the client's 2 s polls are a fixed wait, not
# a per-line cost; P2 restores the default polls).
"$PYTHON" -m simulators.ponto --port 0 --knob initial_history_count=0 \
    --knob sync_polls=0 > "$SIM_LOG" 2>&1 &
SIM_PID=$!
SIM_URL=
for _ in $(seq 100); do
    SIM_URL=$(sed -n 's/^ *root \/ Ponto API *: *//p' "$SIM_LOG")
    [ -n "$SIM_URL" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || break
    sleep 0.1
done
[ -n "$SIM_URL" ] || { echo "FAILED: the simulator did not start"; exit 1; }
SIM_CA=$(sed -n 's/^ *trust this CA *: *//p' "$SIM_LOG")
echo "Ponto simulator on $SIM_URL"

write_odoo_conf "$DB" "$CONF" "http_interface = 127.0.0.1" "log_level = warn" \
    "limit_time_real = 120"
echo "Installing $MODULE into the fresh database $DB"
(cd "$BUILD" && timeout -k 30 15m "$PYTHON" -m odoo -c "$CONF" -d "$DB" \
    -i "$MODULE" --stop-after-init)
state=$(psql -d "$DB" -Atc "SELECT state FROM ir_module_module WHERE name = '$MODULE'")
[ "$state" = installed ] || { echo "FAILED: installing $MODULE (state: ${state:-none})"; exit 1; }

WEBHOOKS=${BENCH_WEBHOOKS:-20}
if [ "$WEBHOOKS" != 0 ] && [ ! -f "$ROOT/controllers/ponto.py" ]; then
    echo "W: not measured (no Ponto webhook route in the $MEASURED)"
    WEBHOOKS=0
fi
[ "$WEBHOOKS" = 0 ] || createdb -T "$DB" "$WH_DB"

# From .build: `python3 -m` must not put the checkout's root on sys.path.
echo "Measuring the $MEASURED"
rc=0
(cd "$BUILD" && timeout -k 30 60m "$PYTHON" "$HERE/bench.py" \
    --conf "$CONF" --db "$DB" --sim-url "$SIM_URL" --sim-ca "$SIM_CA" \
    --sizes "$BENCH_N" ${BENCH_BUDGET:+--budget "$BENCH_BUDGET"}) || rc=$?
if [ "$WEBHOOKS" != 0 ]; then
    (cd "$BUILD" && timeout -k 30 20m "$PYTHON" "$HERE/bench_webhooks.py" \
        --addon-dir "$ROOT" --build "$BUILD" --conf "$CONF" --template "$WH_DB" \
        --events "$WEBHOOKS") || rc=$((rc ? rc : $?))
fi
echo "make bench: ${SECONDS}s in all (install included)"
exit "$rc"
