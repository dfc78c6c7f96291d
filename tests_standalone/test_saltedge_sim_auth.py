"""Salt Edge simulator: App-id/Secret and request signatures, over HTTPS."""

import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from simulators.saltedge import auth
from tests_standalone.saltedge_support import Api, load_private_key, sign

#: a vector of the synthetic fixtures (CC0): GET with a query, test key pair
VECTOR_STRING = (
    "1735689600|GET|https://www.saltedge.com/api/v6/transactions?connection_id="
    "111111111111111111&account_id=222222222222222222&from_id=333|"
)
VECTOR_SIGNATURE = (
    "BqLKOufXZuiezSS1gRRtMgAZ2O7xD90/Zn5rYbcGhZvsG73S2dAzlNT77wy+XYY2iyOBHOKS9TqubBIq"
    "aRAYyGTERFPUWDhtHhsIk3tFHHnJ46cBfWzFdFz1R8kERxoL0HXZjpmhyDFlvBHBmMeJBpIKR8rtWP7E"
    "A4RVPXoQpbMITsSrQnGiZ/AcqY2s3FaVhJUKl0babGAKq+tGKw6+QieKyOeOKTHvfg8cAqZa1B3bhFlm"
    "Af37EGaDE2lda+RRITS4XsFf1XXqBfmSAjuGpgmo3rtqt5CfmVOViJJ3xiG/NZS/57SASZ1NKBHRM1nK"
    "PVCZNj748gxskDPtaUWexQ=="
)


@pytest.fixture
def api(saltedge_sim):
    return Api(saltedge_sim)


def test_the_synthetic_vector_is_what_the_simulator_signs_and_checks(saltedge_sim):
    assert auth.signed_string(
        1735689600,
        "get",
        "https://www.saltedge.com/api/v6/transactions?connection_id="
        "111111111111111111&account_id=222222222222222222&from_id=333",
        "",
    ) == (VECTOR_STRING)
    assert sign(load_private_key(), VECTOR_STRING) == VECTOR_SIGNATURE
    assert auth.verify(saltedge_sim.app_public_key, VECTOR_STRING, VECTOR_SIGNATURE)
    assert not auth.verify(
        saltedge_sim.app_public_key, VECTOR_STRING + "x", VECTOR_SIGNATURE
    )


def test_signed_get_post_and_delete_are_accepted(saltedge_sim, api):
    assert api.get("/providers", country_code="BE").status_code == 200
    created = api.post("/customers", {"data": {"identifier": "odoo-signed"}})
    assert created.status_code == 200, created.text
    customer_id = created.json()["data"]["customer_id"]
    assert api.call("DELETE", f"/customers/{customer_id}").status_code == 200
    records = saltedge_sim.requests[-3:]
    assert [r.signature_valid for r in records] == [True, True, True]
    assert saltedge_sim.count("POST", "/customers", 200) == 1


def test_a_float_expires_at_as_the_python_example_sends_it(api):
    answer = api.call("GET", "/providers", expires=f"{time.time() + 60:.6f}")
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("headers", "error_class"),
    [
        ({"App-id": None}, "AppIdNotProvided"),
        ({"App-id": "someone-else"}, "ClientNotFound"),
        ({"Secret": None}, "SecretNotProvided"),
        ({"Secret": "wrong"}, "WrongClientToken"),
        ({"Expires-at": None}, "MissingExpiresAt"),
        ({"Signature": None}, "MissingSignature"),
        ({"Signature": "bm90IGEgc2lnbmF0dXJl"}, "SignatureNotMatch"),
        ({"Signature": "%%% not base64 %%%"}, "SignatureNotMatch"),
    ],
)
def test_refused_headers(api, headers, error_class):
    answer = api.call("GET", "/providers", {"country_code": "BE"}, headers=headers)
    assert answer.status_code == 401
    body = answer.json()
    assert body["error"]["class"] == error_class
    assert body["error"]["message"]
    assert body["error"]["documentation_url"].startswith("https://docs.saltedge.com/")
    assert body["request"] == {"country_code": "BE"}


def test_expires_at_too_far_and_in_the_past(api):
    far = api.call("GET", "/providers", expires=int(time.time()) + 3700)
    assert (far.status_code, api.error_class(far)) == (401, "ExpiresAtInvalid")
    past = api.call("GET", "/providers", expires=int(time.time()) - 5)
    assert (past.status_code, api.error_class(past)) == (401, "RequestExpired")
    bad = api.call("GET", "/providers", expires="tomorrow")
    assert api.error_class(bad) == "ExpiresAtInvalid"


def test_the_signature_covers_url_query_method_and_body(saltedge_sim, api):
    key = load_private_key()
    expires = str(int(time.time()) + 60)
    url = api.url("/customers")
    body = '{"data":{"identifier":"odoo-tampered"}}'
    good = sign(key, f"{expires}|POST|{url}|{body}")
    headers = {"Expires-at": expires, "Signature": good}
    other_body = api.call(
        "POST", "/customers", body={"data": {"identifier": "x"}}, headers=headers
    )
    assert api.error_class(other_body) == "SignatureNotMatch"
    as_get = sign(key, f"{expires}|GET|{url}|{body}")
    wrong_method = api.call(
        "POST",
        "/customers",
        body={"data": {"identifier": "odoo-tampered"}},
        headers={"Expires-at": expires, "Signature": as_get},
    )
    assert api.error_class(wrong_method) == "SignatureNotMatch"
    no_query = sign(key, f"{expires}|GET|{api.url('/providers')}|")
    with_query = api.call(
        "GET",
        "/providers",
        {"country_code": "BE"},
        headers={"Expires-at": expires, "Signature": no_query},
    )
    assert api.error_class(with_query) == "SignatureNotMatch"
    assert saltedge_sim.requests[-1].signature_reason == "mismatch"
    assert saltedge_sim.world.customer_by_identifier("x") is None


def test_another_key_until_it_is_registered(saltedge_sim):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    api = Api(saltedge_sim, key=other)
    assert api.error_class(api.get("/providers")) == "SignatureNotMatch"
    pem = other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    saltedge_sim.register_public_key(pem.decode())
    assert api.get("/providers").status_code == 200
    assert Api(saltedge_sim).get("/providers").status_code == 401
    saltedge_sim.register_public_key(None)
    assert api.error_class(api.get("/providers")) == "PublicKeyNotProvided"
    with pytest.raises(ValueError):
        saltedge_sim.register_public_key("not a key")


def test_signature_optional_but_verified_when_sent(saltedge_sim, api):
    unsigned = {"Expires-at": None, "Signature": None}
    assert api.error_class(api.call("GET", "/providers", headers=unsigned)) == (
        "MissingExpiresAt"
    )
    saltedge_sim.signature_required = False
    assert api.call("GET", "/providers", headers=unsigned).status_code == 200
    tampered = api.call("GET", "/providers", headers={"Signature": "AAAA"})
    assert api.error_class(tampered) == "SignatureNotMatch"
    assert api.error_class(
        api.call("GET", "/providers", headers={"Signature": None})
    ) == ("MissingSignature")


def test_expires_at_is_checked_against_the_wall_clock_by_default(saltedge_sim, api):
    saltedge_sim.advance(days=30)
    assert api.get("/providers").status_code == 200
    saltedge_sim.expires_at_clock = "sim"
    assert api.error_class(api.get("/providers")) == "RequestExpired"


def test_unknown_routes_and_methods(api):
    missing = api.get("/nothing-here")
    assert (missing.status_code, api.error_class(missing)) == (404, "RouteNotFound")
    wrong = api.call("PATCH", "/customers")
    assert (wrong.status_code, api.error_class(wrong)) == (405, "RouteNotFound")
    garbage = api.call(
        "POST", "/customers", body=None, headers={"Content-Type": "text/plain"}
    )
    assert api.error_class(garbage) == "WrongRequestFormat"
