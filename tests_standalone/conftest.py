"""Shared fixtures for the Odoo-free tests."""

import pytest


@pytest.fixture
def ponto_sim():
    """A running Ponto simulator (seed 1, default knobs); stopped afterwards."""
    from simulators.ponto import PontoSimulator

    sim = PontoSimulator(port=0, seed=1).start()
    try:
        yield sim
    finally:
        sim.stop()
