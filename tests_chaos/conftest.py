"""The chaos campaigns (``make chaos``; their CI sizes run in ``make test``).

Set up by .ci/chaos.sh, which installs the module into a template database
and passes it through the environment (CHAOS_*). This directory holds no
``__init__.py`` (like tests_standalone/): its modules import each other as
top-level modules."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from chaos_campaign import Settings


@pytest.fixture(scope="session")
def settings():
    found = Settings.from_env()
    if found is None:
        pytest.skip("run through .ci/chaos.sh (CHAOS_* environment not set)")
    return found


def size(name, default):
    return int(os.environ.get(name) or default)


@pytest.fixture
def report():
    """Print a campaign's summary line, then fail on its failures."""
    lines = []

    def _report(figures):
        lines.append(figures.line())
        sys.stdout.write("\n" + figures.line() + "\n")
        sys.stdout.writelines(f"  FAILED: {x}\n" for x in figures.failures)
        sys.stdout.flush()
        summary = os.environ.get("CHAOS_SUMMARY")
        if summary:
            with open(summary, "a") as handle:
                handle.write(figures.line() + "\n")
                handle.writelines(f"  FAILED: {x}\n" for x in figures.failures)
        assert not figures.failures, "\n".join(figures.failures)

    return _report
