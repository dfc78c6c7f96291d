#!/usr/bin/env bash
# `make demo`: start the Ponto simulator, create a fresh database
# bank_sync_demo with the addon, configure a Ponto provider on the simulator,
# connect a demo bank, map its accounts to bank journals, import the
# transactions, print a summary, then serve Odoo on http://localhost:8069
# (admin / admin) until interrupted. DEMO_SERVE=0 exits after the summary.
#
# Environment: DEMO_DB (bank_sync_demo), DEMO_HTTP_PORT (8069),
# DEMO_SIM_PORT (8765), DEMO_SERVE (1), PYTHON (python3).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/.build
PYTHON=${PYTHON:-python3}
DB=${DEMO_DB:-bank_sync_demo}
HTTP_PORT=${DEMO_HTTP_PORT:-8069}
SIM_PORT=${DEMO_SIM_PORT:-8765}
SIM_URL=https://127.0.0.1:$SIM_PORT
CONF=$BUILD/demo.conf
export TZ=UTC
# shellcheck source=.ci/odoo-conf.sh
. "$ROOT/.ci/odoo-conf.sh"
cd "$ROOT"

"$PYTHON" -c "import odoo.release as r; assert r.version_info[0] == 18" 2>/dev/null \
    || { echo "make demo needs Odoo 18 importable by $PYTHON (see README.rst)"; exit 1; }

mkdir -p "$BUILD"
echo "Starting the Ponto simulator on $SIM_URL (log: $BUILD/demo-simulator.log)"
"$PYTHON" -m simulators.ponto --port "$SIM_PORT" > "$BUILD/demo-simulator.log" 2>&1 &
SIM_PID=$!
trap 'kill "$SIM_PID" 2>/dev/null || true' EXIT
SIM_CA=$("$PYTHON" - "$SIM_URL" <<'PY'
import json, ssl, sys, time, urllib.request
context = ssl._create_unverified_context()  # only to learn which CA to trust
for _ in range(100):
    try:
        with urllib.request.urlopen(f"{sys.argv[1]}/_sim/seed", context=context) as r:
            print(json.load(r)["ca_file"])
            break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the simulator did not start")
PY
)

write_odoo_conf "$DB" "$CONF" "http_port = $HTTP_PORT" "log_level = warn"
echo "Creating the database $DB with account_bank_sync"
dropdb --if-exists "$DB"
rm -rf "$BUILD/data/filestore/$DB"
(cd "$BUILD" && timeout 15m "$PYTHON" -m odoo -c "$CONF" -d "$DB" \
    -i account_bank_sync --stop-after-init)

echo "Connecting the demo bank and importing its transactions"
(cd "$BUILD" && DEMO_SIM_URL=$SIM_URL DEMO_SIM_CA=$SIM_CA timeout 10m \
    "$PYTHON" -m odoo shell -c "$CONF" -d "$DB" --no-http --log-level=warn \
    < "$ROOT/demo/setup_demo.py")

if [ "${DEMO_SERVE:-1}" = 0 ]; then
    exit 0
fi
echo "Serving Odoo on http://localhost:$HTTP_PORT (admin / admin); Ctrl-C stops."
(cd "$BUILD" && "$PYTHON" -m odoo -c "$CONF" -d "$DB" --http-port "$HTTP_PORT")
