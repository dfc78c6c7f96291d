"""Ponto simulator: fault injection, request log, idempotency replay, mutual
TLS and HTTP request signatures."""

import base64
import hashlib
import json
import pathlib
import time
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12


def api(sim, cert=None):
    s = requests.Session()
    s.verify, s.trust_env, s.cert = sim.ca_file, False, cert
    r = s.post(
        sim.root_url + "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(sim.CUSTOM_CLIENT_ID, sim.CUSTOM_CLIENT_SECRET),
    )
    if r.status_code == 200:
        s.headers["Authorization"] = "Bearer " + r.json()["access_token"]
    return s


def test_fault_kinds(ponto_sim):
    s = api(ponto_sim)
    url = f"{ponto_sim.api_url}/accounts/{ponto_sim.ACCOUNT_CHECKING_ID}/transactions"
    ponto_sim.add_fault(
        method="GET", path="/accounts/*/transactions", kind="429", retry_after=7
    )
    r = s.get(url)
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    assert (
        r.json()["errors"][0]["code"] == "tooManyRequests"
        and r.headers["ibanity-request-id"]
    )
    assert s.get(url).status_code == 200  # times=1 by default
    ponto_sim.add_fault(path="/accounts/*/transactions", kind="500", times=2)
    assert [s.get(url).status_code for _ in range(3)] == [500, 500, 200]
    ponto_sim.add_fault(path="/accounts", kind="503", retry_after=3)
    r = s.get(ponto_sim.api_url + "/accounts")
    assert r.status_code == 503 and r.headers["Retry-After"] == "3"
    ponto_sim.add_fault(path="/accounts/*/transactions", kind="slow", delay=1.0)
    with pytest.raises(requests.exceptions.Timeout):
        s.get(url, timeout=0.3)
    time.sleep(0.8)
    ponto_sim.add_fault(path="/accounts/*/transactions", kind="drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        s.get(url)
    ponto_sim.add_fault(path="/accounts/*/transactions", kind="malformed")
    bad = s.get(url)
    assert bad.status_code == 200
    with pytest.raises(ValueError):
        bad.json()
    ponto_sim.add_fault(path="/accounts/*/transactions", kind="missing_fields")
    assert "data" not in s.get(url).json()
    ponto_sim.add_fault(
        path="/accounts/*/transactions", kind="missing_fields", variant="no_attributes"
    )
    attrs = s.get(url).json()["data"][0]["attributes"]
    assert (
        "amount" not in attrs
        and "currency" not in attrs
        and "remittanceInformation" in attrs
    )
    assert s.get(url).json()["data"][0]["attributes"]["amount"]
    ponto_sim.add_fault(path="/accounts", kind="500", times=None, profile="connect")
    assert s.get(ponto_sim.api_url + "/accounts").status_code == 200
    assert s.get(ponto_sim.connect_url + "/accounts").status_code == 500
    ponto_sim.clear_faults()
    assert s.get(ponto_sim.connect_url + "/accounts").status_code == 401
    with pytest.raises(ValueError):
        ponto_sim.add_fault(kind="418")


def test_request_log(ponto_sim):
    s = api(ponto_sim)
    ponto_sim.reset_log()
    s.get(ponto_sim.api_url + "/accounts", params={"page[limit]": 2})
    s.get(f"{ponto_sim.connect_url}/accounts/{ponto_sim.ACCOUNT_USD_ID}/transactions")
    rec = ponto_sim.requests[0]
    assert (rec.method, rec.path, rec.status, rec.profile) == (
        "GET",
        "/accounts",
        200,
        "api",
    )
    assert rec.query == {"page[limit]": "2"} and rec["headers"][
        "authorization"
    ].startswith("Bearer")
    assert rec.signature_valid is None and rec.client_cert_cn is None
    assert ponto_sim.count("GET", "/accounts/*/transactions") == 1
    assert ponto_sim.count(path_glob="/ponto-connect/*") == 1 and ponto_sim.count() == 2
    assert ponto_sim.count(status=401) == 1 and ponto_sim.count("POST") == 0


def test_idempotency_key_replays_the_first_answer(ponto_sim):
    s = api(ponto_sim)
    body = {
        "data": {
            "type": "synchronization",
            "attributes": {
                "resourceType": "account",
                "resourceId": ponto_sim.ACCOUNT_SAVINGS_ID,
                "subtype": "accountDetails",
                "customerIpAddress": "192.0.2.1",
            },
        }
    }
    headers = {"Ibanity-Idempotency-Key": "0f7c7a0e-0000-4000-8000-000000000001"}
    first = s.post(ponto_sim.api_url + "/synchronizations", json=body, headers=headers)
    second = s.post(ponto_sim.api_url + "/synchronizations", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["data"]["id"] == second.json()["data"]["id"]
    third = s.post(ponto_sim.api_url + "/synchronizations", json=body)
    assert third.status_code == 400  # accountRecentlySynchronized without the key


def test_mutual_tls(ponto_sim):
    ponto_sim.require_client_cert = True
    refused = requests.get(ponto_sim.api_url + "/accounts", verify=ponto_sim.ca_file)
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["code"] == "clientCertificateRequired"
    pem = ponto_sim.issue_client_certificate(cn="odoo-test")
    s = api(ponto_sim, cert=(pem["cert"], pem["key"]))
    assert s.get(ponto_sim.api_url + "/accounts").status_code == 200
    assert ponto_sim.requests[-1].client_cert_cn == "odoo-test"
    # the authorization page is a user page: no certificate needed there
    assert (
        requests.get(ponto_sim.authorization_url, verify=ponto_sim.ca_file).status_code
        == 400
    )
    _key, cert, _extra = pkcs12.load_key_and_certificates(
        pathlib.Path(pem["p12"]).read_bytes(), pem["p12_password"].encode()
    )
    assert (
        cert.subject.rfc4514_string().endswith("CN=odoo-test")
        or "odoo-test" in cert.subject.rfc4514_string()
    )
    rogue = ponto_sim.issue_client_certificate(cn="rogue", signed_by_sim=False)
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(
            ponto_sim.api_url + "/",
            verify=ponto_sim.ca_file,
            cert=(rogue["cert"], rogue["key"]),
        )
    ponto_sim.require_client_cert = "connect"
    assert (
        requests.get(ponto_sim.root_url + "/", verify=ponto_sim.ca_file).status_code
        == 200
    )
    assert (
        requests.get(ponto_sim.connect_url, verify=ponto_sim.ca_file).status_code == 401
    )
    ponto_sim.require_client_cert = False
    assert (
        requests.get(ponto_sim.connect_url, verify=ponto_sim.ca_file).status_code == 200
    )


def _signed(
    sim,
    key,
    method,
    url,
    body=b"",
    extra=None,
    urlsafe=False,
    quoted=True,
    headers_list=None,
    auth=None,
):
    # sign what is sent: requests percent-encodes brackets (page%5Blimit%5D)
    prepared = requests.Request(method, url).prepare()
    parts, target = urlsplit(prepared.url), prepared.path_url
    enc = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    headers = {"Digest": "SHA-512=" + enc(hashlib.sha512(body).digest()).decode()}
    headers.update(extra or {})
    if auth:
        headers["Authorization"] = auth
    created = str(int(time.time()))
    names = headers_list or (
        ["(request-target)", "host", "digest", "(created)"]
        + (["authorization"] if auth else [])
        + [h.lower() for h in headers if h.lower().startswith("ibanity-")]
    )
    values = {
        "(request-target)": f"{method.lower()} {target}",
        "host": parts.netloc,
        "digest": headers["Digest"],
        "(created)": created,
        "authorization": auth,
    }
    values.update({k.lower(): v for k, v in headers.items()})
    text = "\n".join(f"{n}: {values[n]}" for n in names)
    sig = key.sign(
        text.encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    headers["Signature"] = (
        'keyId="sig-1",created={},algorithm="hs2019",headers="{}",signature="{}"'.format(
            f'"{created}"' if quoted else created, " ".join(names), enc(sig).decode()
        )
    )
    return requests.request(
        method, url, data=body or None, headers=headers, verify=sim.ca_file
    )


def test_request_signatures(ponto_sim):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ponto_sim.register_signature_key("sig-1", pub)
    token = api(ponto_sim).headers["Authorization"]
    url = ponto_sim.api_url + "/accounts?page[limit]=2"
    ok = _signed(ponto_sim, key, "GET", url, auth=token)
    assert ok.status_code == 200 and ponto_sim.requests[-1].signature_valid is True
    body = json.dumps(
        {
            "data": {
                "type": "synchronization",
                "attributes": {
                    "resourceType": "account",
                    "resourceId": ponto_sim.ACCOUNT_USD_ID,
                    "subtype": "accountDetails",
                    "customerIpAddress": "192.0.2.1",
                },
            }
        }
    ).encode()
    post = _signed(
        ponto_sim,
        key,
        "POST",
        ponto_sim.api_url + "/synchronizations",
        body,
        {"Ibanity-Idempotency-Key": "k-1", "Content-Type": "application/json"},
        urlsafe=True,
        quoted=False,
        auth=token,
    )
    assert post.status_code == 201, post.text
    missing_idem = _signed(
        ponto_sim,
        key,
        "GET",
        url,
        auth=token,
        extra={"Ibanity-Idempotency-Key": "x"},
        headers_list=[
            "(request-target)",
            "host",
            "digest",
            "(created)",
            "authorization",
        ],
    )
    assert missing_idem.status_code == 401
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = _signed(ponto_sim, other, "GET", url, auth=token)
    assert (
        forged.status_code == 401
        and forged.json()["errors"][0]["code"] == "invalidSignature"
    )
    assert ponto_sim.requests[-1].signature_valid is False
    assert (
        requests.get(
            url, headers={"Authorization": token}, verify=ponto_sim.ca_file
        ).status_code
        == 200
    )
    ponto_sim.signature_required = "always"
    unsigned = requests.get(
        url, headers={"Authorization": token}, verify=ponto_sim.ca_file
    )
    assert (
        unsigned.status_code == 401
        and unsigned.json()["errors"][0]["code"] == "invalidSignature"
    )
    assert _signed(ponto_sim, key, "GET", url, auth=token).status_code == 200
