# Sourced by .ci/test.sh, .ci/chaos.sh, demo/demo.sh and bench/run.sh: write
# an Odoo config file for this checkout. The checkout may have any directory
# name, so Odoo and pytest-odoo see it as .build/addons/account_bank_sync: a
# directory of links to the checkout's entries, never a link to the checkout
# itself (the checkout holds .build/, and Odoo's walks of a module, the .pot
# export with followlinks=True among them, would loop through it).

# OCA's addons for the test databases only (account_reconcile_oca, issue 9),
# put there by .ci/run with `pip install --target` (a plain pip install would
# put their odoo/addons/ namespace directory into site-packages, where it hides
# an editable Odoo from `import odoo`). On the addons path when present.
TEST_ADDONS_DIR=$BUILD/test-addons/odoo/addons

#   write_odoo_conf <db> <conf file> [extra option lines...]
write_odoo_conf() {
    local db=$1 conf=$2 odoo_paths module="$BUILD/addons/account_bank_sync" entry
    local test_addons=
    shift 2
    mkdir -p "$BUILD/addons" "$BUILD/data"
    [ -L "$module" ] && rm -f "$module"  # the former layout: one link
    mkdir -p "$module"
    for entry in "$module"/*; do  # entries gone from the checkout
        [ -L "$entry" ] && [ ! -e "$entry" ] && rm -f "$entry"
    done
    for entry in "$ROOT"/*; do  # not the hidden ones: .build, .git, .ci ...
        ln -sfn "$entry" "$module/$(basename "$entry")"
    done
    # <odoo>/addons (base, web) and the checkout's addons/ next to the package;
    # then the test suite's own addons (tests/addons: the example provider that
    # proves the provider seam), installed only into the test databases; then
    # TEST_ADDONS_DIR when .ci/run has filled it.
    odoo_paths=$("${PYTHON:-python3}" -c 'import odoo, os
d = os.path.dirname(odoo.__file__)
print(",".join(p for p in (os.path.join(d, "addons"), os.path.join(d, "..", "addons"))
               if os.path.isdir(p)))') || return 1
    [ -d "$TEST_ADDONS_DIR" ] && test_addons=",$TEST_ADDONS_DIR"
    {
        echo "[options]"
        echo "addons_path = $BUILD/addons,$odoo_paths,$module/tests/addons$test_addons${ODOO_ADDONS_PATH:+,$ODOO_ADDONS_PATH}"
        echo "data_dir = $BUILD/data"
        echo "db_name = $db"
        echo "without_demo = all"
        printf '%s\n' "$@"
    } > "$conf"
}
