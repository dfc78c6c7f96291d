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


@pytest.fixture
def se_sim(saltedge_sim):
    """``saltedge_sim`` for the real Salt Edge client: it checks signatures on
    its own clock (the client's, ``now=sim.now``), and after the test every
    API request it logged was signed and accepted (no 401)."""
    saltedge_sim.expires_at_clock = "sim"
    yield saltedge_sim
    api = [r for r in saltedge_sim.requests if r.profile == "api"]
    assert [r for r in api if r.status == 401] == []
    assert [r for r in api if not r.fault and r.signature_valid is not True] == []


@pytest.fixture
def se_clients(se_sim):
    """Builds real Salt Edge clients of ``se_sim`` (one per operation)."""
    from tests_standalone.saltedge_client_sim_support import Clients

    return Clients(se_sim)
