# See README.rst, "Testing". The logic lives in .ci/test.sh.
REQUIRE_ODOO ?= 0
export REQUIRE_ODOO

.PHONY: test test-standalone test-odoo lint fix pot pot-check po-check demo chaos bench

test:
	bash .ci/test.sh all

test-standalone:
	bash .ci/test.sh standalone

test-odoo:
	bash .ci/test.sh odoo

# pre-commit only sees git-tracked files.
lint:
	pre-commit run --all-files --show-diff-on-failure

# Apply ruff's automatic fixes and formatting (what `make lint` checks).
fix:
	ruff check --fix .
	ruff format .

pot:
	bash .ci/test.sh pot

# Fails when the committed .pot differs from a fresh export (CI runs it).
pot-check:
	bash .ci/test.sh pot-check

# Fails when an i18n/*.po misses a message of the .pot, leaves one empty or
# fuzzy, keeps one the .pot no longer has, or changes its placeholders/markup.
# After a new export: python3 .ci/po_check.py --merge, then translate.
po-check:
	bash .ci/test.sh po-check

# README.rst is generated from readme/*.rst and the manifest (.ci/readme.py).
.PHONY: readme readme-check
readme:
	bash .ci/test.sh readme

# Fails when README.rst differs from a fresh generation (CI runs it).
readme-check:
	bash .ci/test.sh readme-check

# Simulator + fresh database bank_sync_demo + import, then serve on :8069.
demo:
	bash demo/demo.sh

# Larger proof campaigns (kills, concurrency) against real Odoo processes.
chaos:
	bash .ci/chaos.sh

# Performance figures, as ratios against a baseline measured in the same run.
bench:
	bash bench/run.sh
