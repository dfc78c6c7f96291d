# Sourced by .ci/test.sh and demo/demo.sh: write an Odoo config file for this
# checkout. The checkout may have any directory name, so it is linked as
# .build/addons/account_bank_sync (the name Odoo and pytest-odoo need).
#   write_odoo_conf <db> <conf file> [extra option lines...]
write_odoo_conf() {
    local db=$1 conf=$2 odoo_paths
    shift 2
    mkdir -p "$BUILD/addons" "$BUILD/data"
    ln -sfn "$ROOT" "$BUILD/addons/account_bank_sync"
    # <odoo>/addons (base, web) and the checkout's addons/ next to the package.
    odoo_paths=$("${PYTHON:-python3}" -c 'import odoo, os
d = os.path.dirname(odoo.__file__)
print(",".join(p for p in (os.path.join(d, "addons"), os.path.join(d, "..", "addons"))
               if os.path.isdir(p)))') || return 1
    {
        echo "[options]"
        echo "addons_path = $BUILD/addons,$odoo_paths${ODOO_ADDONS_PATH:+,$ODOO_ADDONS_PATH}"
        echo "data_dir = $BUILD/data"
        echo "db_name = $db"
        echo "without_demo = all"
        printf '%s\n' "$@"
    } > "$conf"
}
