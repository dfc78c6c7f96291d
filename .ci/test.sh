#!/usr/bin/env bash
# Test harness behind `make test*` and `make pot`.
#
#   .ci/test.sh all         Odoo-free suite, then the Odoo suite when python3
#                           imports Odoo 18 (SKIPPED otherwise), then the
#                           CI-sized chaos campaigns (R2 kills, R3 concurrency)
#   .ci/test.sh standalone  Odoo-free suite only (tests_standalone/)
#   .ci/test.sh odoo        Odoo suite only (tests/), fails without Odoo
#   .ci/test.sh chaos       CI-sized chaos campaigns only (`make chaos` runs
#                           the full-sized ones through .ci/chaos.sh)
#   .ci/test.sh pot         regenerate i18n/account_bank_sync.pot
#   .ci/test.sh pot-check   fail when the committed .pot is not a fresh export
#   .ci/test.sh po-check    fail when an i18n/*.po misses, leaves untranslated or
#                           garbles a message of the .pot (.ci/po_check.py)
#   .ci/test.sh readme      regenerate README.rst from readme/*.rst (.ci/readme.py)
#   .ci/test.sh readme-check  fail when README.rst is not a fresh generation
#
# Environment: REQUIRE_ODOO=1 (missing Odoo, an empty standalone suite or no
# account_reconcile_oca for the test database is a failure), PYTHON (default
# python3), ODOO_ADDONS_PATH (extra addons dirs, comma separated), KEEP_DB=1,
# TEST_TIMEOUT / INSTALL_TIMEOUT (timeout(1) durations), PGHOST/PGPORT/PGUSER/
# PGPASSWORD (libpq and Odoo both read them), CHAOS=0 (no chaos stage in
# `all`), CHAOS_TIMEOUT (default 10m).
set -uo pipefail

MODULE=account_bank_sync
#: installed with it into the test databases: the example provider of
#: tests/addons/, and OCA's account_reconcile_oca (test-only: the path of the
#: card's reconcile entry with it, issue 9; .ci/run puts it in TEST_ADDONS_DIR)
TEST_MODULES=bank_sync_example
RECONCILE_OCA=account_reconcile_oca
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
REQUIRE_ODOO=${REQUIRE_ODOO:-0}
TEST_TIMEOUT=${TEST_TIMEOUT:-20m}
INSTALL_TIMEOUT=${INSTALL_TIMEOUT:-15m}
BUILD=$ROOT/.build
# The checkout may have any directory name (CI clones into `main`): Odoo and
# pytest-odoo need a directory named after the module, so link one.
ADDON=$BUILD/addons/$MODULE
export TZ=UTC  # odoo-bin sets this before importing Odoo; `python3 -m odoo` does not
cd "$ROOT" || exit 2

# timeout(1) runs its command in a process group of its own, out of reach of
# a terminal's Ctrl-C: keep it in the foreground when run interactively.
TIMEOUT=(timeout -k 30)
[ -t 0 ] && TIMEOUT=(timeout --foreground -k 30)

say() { printf '\n=== %s\n' "$*"; }
# shellcheck source=.ci/odoo-conf.sh
. "$ROOT/.ci/odoo-conf.sh"

# Odoo-free suite. Its settings (importlib mode, pythonpath, no pytest-odoo
# plugin) are in pyproject.toml.
run_standalone() {
    say "Odoo-free suite (tests_standalone/)"
    local rc
    if [ ! -d tests_standalone ]; then
        echo "No tests_standalone/ directory."
        rc=5
    else
        "${TIMEOUT[@]}" "$TEST_TIMEOUT" "$PYTHON" -m pytest tests_standalone
        rc=$?
    fi
    # pytest exit 5 = no test collected: a failure in strict (CI) mode, a
    # warning for a developer whose checkout simply has no suite yet.
    if [ "$rc" -eq 5 ]; then
        if [ "$REQUIRE_ODOO" = 1 ]; then
            echo "FAILED: the Odoo-free suite collected no test."
            return 1
        fi
        echo "WARNING: the Odoo-free suite collected no test."
        return 0
    fi
    [ "$rc" -eq 124 ] && echo "FAILED: the Odoo-free suite timed out after $TEST_TIMEOUT."
    return "$rc"
}

# Sets ODOO_REASON and returns non-zero unless $PYTHON imports Odoo 18.
detect_odoo() {
    ODOO_REASON=$("$PYTHON" - 2>&1 <<'EOF'
import sys
try:
    import odoo.release
except Exception as exc:  # ImportError, or a broken dependency of Odoo
    sys.exit(f"{type(exc).__name__}: {exc}")
if odoo.release.version_info[0] != 18:
    sys.exit(f"it imports Odoo {odoo.release.version}, not 18.0")
EOF
    ) && return 0
    ODOO_REASON=$(printf '%s' "$ODOO_REASON" | tail -n 1)
    return 1
}

# Fresh database with the module installed (and the test addons, unless
# WITH_TEST_MODULES=0: the .pot export), its config file in $CONF. Sets DB and
# CONF; cleanup() drops them.
prepare_db() {
    local modules="$MODULE,$TEST_MODULES"
    if [ "${WITH_TEST_MODULES:-1}" != 1 ]; then
        modules=$MODULE
    elif [ -f "$TEST_ADDONS_DIR/$RECONCILE_OCA/__manifest__.py" ]; then
        modules+=",$RECONCILE_OCA"
    elif [ "$REQUIRE_ODOO" = 1 ]; then
        echo "FAILED: $RECONCILE_OCA is not in $TEST_ADDONS_DIR (bash .ci/run installs it)."
        return 1
    else
        echo "WARNING: $RECONCILE_OCA is not in $TEST_ADDONS_DIR (bash .ci/run" \
            "installs it): its tests are skipped."
    fi
    DB="${MODULE}_test_$(date +%Y%m%d%H%M%S)_$$"
    CONF="$BUILD/$DB.conf"
    trap cleanup EXIT
    write_odoo_conf "$DB" "$CONF" "http_interface = 127.0.0.1" "log_level = warn" \
        || return 1
    say "Installing $modules into the fresh database $DB"
    (cd "$BUILD" && "${TIMEOUT[@]}" "$INSTALL_TIMEOUT" "$PYTHON" -m odoo \
        -c "$CONF" -d "$DB" -i "$modules" --stop-after-init)
    local rc=$? state module
    for module in ${modules//,/ }; do
        state=$(psql -d "$DB" -Atc \
            "SELECT state FROM ir_module_module WHERE name = '$module'" 2>&1)
        # odoo-bin can exit 0 after a failed install: trust the module's state.
        if [ "$rc" -ne 0 ] || [ "$state" != installed ]; then
            echo "FAILED: installing $module (exit $rc, module state: ${state:-none})."
            return 1
        fi
    done
}

cleanup() {
    [ -n "${DB:-}" ] || return 0
    rm -f "$CONF"
    if [ "${KEEP_DB:-0}" = 1 ]; then
        echo "Kept database $DB (KEEP_DB=1)."
        return 0
    fi
    dropdb --if-exists "$DB" >/dev/null 2>&1 || echo "WARNING: could not drop $DB"
    rm -rf "$BUILD/data/filestore/$DB"
}

run_odoo() {
    say "Odoo suite (tests/) on Odoo 18 and PostgreSQL"
    prepare_db || return 1
    # pytest-odoo names a test module after the directory holding the manifest
    # (account_bank_sync/tests/x.py -> odoo.addons.account_bank_sync.tests.x),
    # so pytest is pointed at the linked path, never at $ROOT/tests. Its own
    # ini keeps pyproject.toml's standalone settings out of this run.
    # Run from $BUILD so that `python3 -m` does not put the checkout's root
    # (models/, tests/, ...) on sys.path as top-level packages.
    (cd "$BUILD" && PYTHONPATH="$ROOT/.ci${PYTHONPATH:+:$PYTHONPATH}" \
        "${TIMEOUT[@]}" "$TEST_TIMEOUT" "$PYTHON" -m pytest -p pytest_odoo_quiet \
        -p pytest_secret_scan -c "$ROOT/.ci/pytest-odoo.ini" --rootdir="$ADDON" \
        --odoo-config="$CONF" --odoo-database="$DB" --odoo-http \
        --odoo-log-level=warn "$ADDON/tests")
    local rc=$?
    [ "$rc" -eq 124 ] && echo "FAILED: the Odoo suite timed out after $TEST_TIMEOUT."
    [ "$rc" -eq 5 ] && echo "FAILED: the Odoo suite collected no test."
    return "$rc"
}

# The CI-sized chaos campaigns (tests_chaos/, see .ci/chaos.sh): real Odoo
# processes killed and run at once. Their databases are copies of a template:
# the Odoo suite's database when given (its tests leave it as installed),
# else .ci/chaos.sh installs one.
run_chaos() {
    say "Chaos campaigns, CI size (tests_chaos/)"
    CHAOS_TEMPLATE_DB=${1:-} CHAOS_TIMEOUT=${CHAOS_TIMEOUT:-10m} \
        bash "$ROOT/.ci/chaos.sh" ci
}

export_pot() {  # [target file], default i18n/$MODULE.pot
    local target=${1:-$ROOT/i18n/$MODULE.pot}
    WITH_TEST_MODULES=0 prepare_db || return 1
    say "Exporting i18n/$MODULE.pot"
    (cd "$BUILD" && "$PYTHON" -m odoo -c "$CONF" -d "$DB" --modules="$MODULE" \
        --i18n-export="$target" --stop-after-init)
}

# The committed .pot is what a fresh export gives (its dates aside).
check_pot() {
    local fresh="$BUILD/$MODULE.fresh.pot"
    export_pot "$fresh" || return 1
    if ! diff -u <(grep -v -E '^"(POT-Creation|PO-Revision)-Date' "$ROOT/i18n/$MODULE.pot") \
            <(grep -v -E '^"(POT-Creation|PO-Revision)-Date' "$fresh"); then
        echo "FAILED: i18n/$MODULE.pot is stale: run \`make pot\` and commit it."
        return 1
    fi
    echo "i18n/$MODULE.pot matches a fresh export."
}

# The committed README.rst is what .ci/readme.py makes of readme/ and the
# manifest (no Odoo needed).
check_readme() {
    local fresh="$BUILD/README.fresh.rst"
    mkdir -p "$BUILD"
    "$PYTHON" "$ROOT/.ci/readme.py" --output "$fresh" >/dev/null || return 1
    if ! diff -u --label README.rst --label "README.rst from readme/" \
            "$ROOT/README.rst" "$fresh"; then
        echo "FAILED: README.rst is not generated from readme/ and the manifest:" \
            "edit readme/*.rst (not README.rst), run \`make readme\` and commit both."
        return 1
    fi
    echo "README.rst matches a fresh generation from readme/."
}

no_odoo() {
    echo "python3 cannot import Odoo 18: $ODOO_REASON"
}

case "${1:-all}" in
    standalone)
        run_standalone
        ;;
    odoo)
        detect_odoo || { echo "FAILED: Odoo suite (tests/) — $(no_odoo)"; exit 1; }
        run_odoo
        ;;
    pot)
        detect_odoo || { echo "FAILED: $(no_odoo)"; exit 1; }
        export_pot
        ;;
    pot-check)
        detect_odoo || { echo "FAILED: $(no_odoo)"; exit 1; }
        check_pot
        ;;
    po-check)
        "$PYTHON" "$ROOT/.ci/po_check.py"
        ;;
    readme)
        "$PYTHON" "$ROOT/.ci/readme.py"
        ;;
    readme-check)
        check_readme
        ;;
    chaos)
        detect_odoo || { echo "FAILED: chaos campaigns — $(no_odoo)"; exit 1; }
        run_chaos
        ;;
    all)
        run_standalone
        standalone_rc=$?
        chaos_rc=0
        if detect_odoo; then
            run_odoo
            odoo_rc=$?
            if [ "${CHAOS:-1}" != 0 ]; then
                # a failed suite may leave its database in use: install afresh
                run_chaos "$([ "$odoo_rc" -eq 0 ] && echo "$DB")"
                chaos_rc=$?
            fi
        elif [ "$REQUIRE_ODOO" = 1 ]; then
            echo "FAILED: Odoo suite (tests/) — $(no_odoo) (REQUIRE_ODOO=1)"
            odoo_rc=1
        else
            echo; echo "SKIPPED: Odoo suite (tests/) — $(no_odoo)"
            odoo_rc=0
        fi
        say "Odoo-free suite: exit $standalone_rc; Odoo suite: exit $odoo_rc;" \
            "chaos campaigns: exit $chaos_rc"
        [ "$standalone_rc" -eq 0 ] && [ "$odoo_rc" -eq 0 ] && [ "$chaos_rc" -eq 0 ]
        ;;
    *)
        echo "usage: $0 [all|standalone|odoo|chaos|pot|pot-check|po-check|readme|readme-check]" >&2
        exit 2
        ;;
esac
