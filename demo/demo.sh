#!/usr/bin/env bash
# `make demo`: start the Ponto and Salt Edge simulators, create a fresh
# database bank_sync_demo with the addon, configure a provider on each
# simulator, connect a demo bank through each (Salt Edge: through its widget's
# pages), map their accounts to bank journals, import the transactions, print
# a summary, then serve Odoo on http://localhost:8069 (admin / admin) until
# interrupted; the Salt Edge simulator's callbacks then reach Odoo.
# DEMO_SERVE=0 exits after the summary.
#
# Environment: DEMO_DB (bank_sync_demo), DEMO_HTTP_PORT (8069),
# DEMO_SIM_PORT (8765), DEMO_SE_PORT (8766), DEMO_SERVE (1), PYTHON (python3).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/.build
PYTHON=${PYTHON:-python3}
DB=${DEMO_DB:-bank_sync_demo}
HTTP_PORT=${DEMO_HTTP_PORT:-8069}
SIM_PORT=${DEMO_SIM_PORT:-8765}
SIM_URL=https://127.0.0.1:$SIM_PORT
SE_PORT=${DEMO_SE_PORT:-8766}
SE_URL=https://127.0.0.1:$SE_PORT
CONF=$BUILD/demo.conf
export TZ=UTC
# shellcheck source=.ci/odoo-conf.sh
. "$ROOT/.ci/odoo-conf.sh"
cd "$ROOT"

"$PYTHON" -c "import odoo.release as r; assert r.version_info[0] == 18" 2>/dev/null \
    || { echo "make demo needs Odoo 18 importable by $PYTHON (see README.rst)"; exit 1; }

mkdir -p "$BUILD"
echo "Starting the Ponto simulator on $SIM_URL (log: $BUILD/demo-simulator.log)"
"$PYTHON" -m simulators ponto --port "$SIM_PORT" > "$BUILD/demo-simulator.log" 2>&1 &
SIM_PID=$!
echo "Starting the Salt Edge simulator on $SE_URL (log: $BUILD/demo-saltedge.log)"
"$PYTHON" -m simulators saltedge --port "$SE_PORT" --knob refresh_polls=0 \
    > "$BUILD/demo-saltedge.log" 2>&1 &
SE_PID=$!
trap 'kill "$SIM_PID" "$SE_PID" 2>/dev/null || true' EXIT
# what each simulator says of itself: its CA (and Salt Edge's keys)
seed() {
    "$PYTHON" - "$1" "$2" <<'PY'
import json, ssl, sys, time, urllib.request
context = ssl._create_unverified_context()  # only to learn which CA to trust
for _ in range(100):
    try:
        with urllib.request.urlopen(sys.argv[1], context=context) as r:
            info = json.load(r)
            print(" ".join(str(info[key]) for key in sys.argv[2].split(",")))
            break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the simulator did not start")
PY
}
SIM_CA=$(seed "$SIM_URL/_sim/seed" ca_file)
read -r SE_CA SE_CALLBACK_KEY < <(seed "$SE_URL/_control/seed" ca_file,callback_public_key_file)
SE_APP_KEY=$ROOT/simulators/saltedge/keys/test_client_private.pem
# Salt Edge's dashboard: the callback URLs (Odoo answers them once served)
"$PYTHON" - "$SE_URL" "$SE_CA" "$HTTP_PORT" <<'PY'
import json, ssl, sys, urllib.request
url, ca, port = sys.argv[1:]
base = f"http://127.0.0.1:{port}/bank_sync/saltedge/callback/"
kinds = ("success", "fail", "notify", "destroy", "service")
request = urllib.request.Request(
    f"{url}/_control/callbacks",
    data=json.dumps({kind: base + kind for kind in kinds}).encode(),
    headers={"Content-Type": "application/json"},
)
urllib.request.urlopen(request, context=ssl.create_default_context(cafile=ca))
PY

write_odoo_conf "$DB" "$CONF" "http_port = $HTTP_PORT" "log_level = warn"
echo "Creating the database $DB with account_bank_sync"
dropdb --if-exists "$DB"
rm -rf "$BUILD/data/filestore/$DB"
(cd "$BUILD" && timeout 15m "$PYTHON" -m odoo -c "$CONF" -d "$DB" \
    -i account_bank_sync --stop-after-init)

echo "Connecting the demo banks and importing their transactions"
(cd "$BUILD" && DEMO_SIM_URL=$SIM_URL DEMO_SIM_CA=$SIM_CA DEMO_SE_URL=$SE_URL \
    DEMO_SE_CA=$SE_CA DEMO_SE_APP_KEY=$SE_APP_KEY \
    DEMO_SE_CALLBACK_KEY=$SE_CALLBACK_KEY timeout 10m \
    "$PYTHON" -m odoo shell -c "$CONF" -d "$DB" --no-http --log-level=warn \
    < "$ROOT/demo/setup_demo.py")

if [ "${DEMO_SERVE:-1}" = 0 ]; then
    exit 0
fi
echo "Serving Odoo on http://localhost:$HTTP_PORT (admin / admin); Ctrl-C stops."
(cd "$BUILD" && "$PYTHON" -m odoo -c "$CONF" -d "$DB" --http-port "$HTTP_PORT")
