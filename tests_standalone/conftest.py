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


@pytest.fixture(scope="session")
def _saltedge_server():
    from simulators.saltedge import SaltEdgeSimulator

    sim = SaltEdgeSimulator(port=0, seed=1).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def saltedge_sim(_saltedge_server):
    """The session's Salt Edge simulator (seed 1, default knobs), back to its
    seeded state before each test (no server restart)."""
    _saltedge_server.clear_checkpoint()
    return _saltedge_server.reset()
