"""The CA given as PEM text (as the ORM stores it) goes to a temporary file for
``requests``; that file lives as long as the client and no longer: the ORM
builds a client per operation and drops it."""

import gc
import os

import pytest

from clients.http import HttpSession
from clients.ponto import PontoClient


@pytest.fixture
def ca_pem(ponto_sim):
    with open(ponto_sim.ca_file) as handle:
        return handle.read()


def _client(sim, ca_pem):
    return PontoClient(
        base_url=sim.api_url,
        client_id=sim.CUSTOM_CLIENT_ID,
        client_secret=sim.CUSTOM_CLIENT_SECRET,
        verify=ca_pem,
    )


def test_dropped_client_leaves_no_ca_file(ponto_sim, ca_pem):
    client = _client(ponto_sim, ca_pem)
    path = client.http.verify
    assert isinstance(path, str) and os.path.isfile(path)
    with open(path) as handle:
        assert handle.read() == ca_pem
    # the file serves the client's requests while it lives
    assert len(client.list_accounts()) == len(ponto_sim.ACCOUNT_IDS)
    del client
    gc.collect()  # a client refers to itself (its auth helper): a cycle
    assert not os.path.exists(path)


def test_dropped_session_leaves_no_ca_file_at_once(ca_pem):
    session = HttpSession(verify=ca_pem)
    path = session.verify
    assert os.path.isfile(path)
    del session  # no cycle: gone without waiting for the garbage collector
    assert not os.path.exists(path)


def test_closed_session_removes_its_ca_file(ca_pem):
    with HttpSession(verify=ca_pem) as session:
        path = session.verify
        assert os.path.isfile(path)
    assert not os.path.exists(path)
    session.close()  # twice: harmless
    # a session keeps a reference: no garbage collection has to run first
    other = HttpSession(verify=ca_pem)
    other_path = other.verify
    other.close()
    assert not os.path.exists(other_path)


def test_many_clients_do_not_pile_up_files(ponto_sim, ca_pem):
    paths = []
    for _ in range(20):
        client = _client(ponto_sim, ca_pem)
        paths.append(client.http.verify)
        client.list_accounts()
    del client
    gc.collect()
    assert len(set(paths)) == 20  # each client its own file...
    assert not [path for path in paths if os.path.exists(path)]  # ...none left


def test_a_ca_path_or_a_bool_is_left_alone(ponto_sim):
    session = HttpSession(verify=ponto_sim.ca_file)
    assert session.verify == ponto_sim.ca_file
    session.close()
    assert os.path.isfile(ponto_sim.ca_file)  # not ours to remove
    assert HttpSession(verify=True).verify is True
    assert HttpSession(verify=False).verify is False
