"""Salt Edge simulator: customers and providers, over HTTPS."""

import pytest
import requests

from tests_standalone.saltedge_support import Api


@pytest.fixture
def api(saltedge_sim):
    return Api(saltedge_sim)


def test_customer_create_show_list_delete(saltedge_sim, api):
    body = api.ok("POST", "/customers", body={"data": {"identifier": "odoo-co-7"}})
    customer = body["data"]
    assert set(customer) == {
        "customer_id",
        "identifier",
        "categorization_type",
        "blocked_at",
        "created_at",
        "updated_at",
    }
    assert customer["customer_id"].isdigit() and len(customer["customer_id"]) == 19
    assert customer["identifier"] == "odoo-co-7"
    shown = api.ok("GET", f"/customers/{customer['customer_id']}")["data"]
    assert shown == customer
    listed = api.ok("GET", "/customers")["data"]
    assert [c["identifier"] for c in listed] == ["sim-demo-company", "odoo-co-7"]
    gone = api.ok("DELETE", f"/customers/{customer['customer_id']}")["data"]
    assert gone["deleted"] is True and gone["id"] == customer["customer_id"]
    again = api.call("GET", f"/customers/{customer['customer_id']}")
    assert (again.status_code, api.error_class(again)) == (404, "CustomerNotFound")


def test_duplicated_customer(api):
    api.customer("odoo-co-dup")
    answer = api.post("/customers", {"data": {"identifier": "odoo-co-dup"}})
    assert answer.status_code == 409
    assert api.error_class(answer) == "DuplicatedCustomer"
    empty = api.post("/customers", {"data": {"identifier": ""}})
    assert api.error_class(empty) == "WrongRequestFormat"


def test_customer_id_key_knob(saltedge_sim, api):
    saltedge_sim.customer_id_key = "id"
    customer = api.ok("POST", "/customers", body={"data": {"identifier": "v5"}})["data"]
    assert "id" in customer and "customer_id" not in customer


def test_customers_page_with_from_id(saltedge_sim, api):
    for n in range(5):
        api.customer(f"odoo-paged-{n}")
    rows, pages = api.all_pages("/customers", per_page=2)
    assert pages == 3
    assert [c["identifier"] for c in rows][1:] == [f"odoo-paged-{n}" for n in range(5)]
    ids = [c["customer_id"] for c in rows]
    assert ids == sorted(ids, key=int)


def test_deleting_a_customer_removes_its_connections(saltedge_sim, api):
    conn_id = saltedge_sim.SEED_CONNECTION_ID
    api.ok("DELETE", f"/customers/{saltedge_sim.SEED_CUSTOMER_ID}")
    answer = api.call("GET", f"/connections/{conn_id}")
    assert api.error_class(answer) == "ConnectionNotFound"


def _codes(api, **params):
    return [p["code"] for p in api.ok("GET", "/providers", params)["data"]]


def test_providers_of_belgium(api):
    codes = _codes(api, country_code="BE")
    assert codes == [
        "kbc_business_be",
        "belfius_business_be",
        "bnp_paribas_fortis_business_be",
        "ing_business_be",
        "argenta_be",  # inactive: listed (not offered by the widget)
    ]
    assert "crelan_be" not in codes  # disabled: never listed
    assert _codes(api, country_code="NL") == ["abn_amro_business_nl"]


def test_sandboxes_only_with_include_sandboxes(api):
    assert "fakebank_oauth_xf" not in _codes(api)
    with_sandboxes = _codes(api, country_code="BE", include_sandboxes="true")
    assert with_sandboxes[-1] == "fakebank_oauth_xf"
    assert "crelan_be" not in _codes(api, include_sandboxes="true")


def test_provider_fields(saltedge_sim, api):
    providers = {p["code"]: p for p in api.ok("GET", "/providers")["data"]}
    kbc = providers["kbc_business_be"]
    for name in (
        "id",
        "code",
        "name",
        "country_code",
        "status",
        "mode",
        "regulated",
        "automatic_fetch",
        "interactive",
        "max_consent_days",
        "max_fetch_interval",
        "refresh_timeout",
        "bic_codes",
        "logo_url",
        "home_url",
        "timezone",
        "supported_fetch_scopes",
        "created_at",
        "updated_at",
    ):
        assert name in kbc, name
    assert kbc["regulated"] is True and kbc["country_code"] == "BE"
    assert {p["max_consent_days"] for p in providers.values()} <= {90, 180}
    assert {p["max_fetch_interval"] for p in providers.values()} <= {90, 730}
    assert providers["argenta_be"]["status"] == "inactive"
    logo = requests.get(kbc["logo_url"], verify=saltedge_sim.ca_file, timeout=5)
    assert logo.headers["Content-Type"] == "image/svg+xml" and b"<svg" in logo.content
    sandbox = api.ok("GET", "/providers/fakebank_oauth_xf")["data"]
    assert (sandbox["country_code"], sandbox["regulated"]) == ("XF", False)


def test_one_provider_and_the_ones_not_found(api):
    assert api.ok("GET", "/providers/belfius_business_be")["data"]["name"] == (
        "Belfius Business"
    )
    for code in ("crelan_be", "no_such_bank"):
        answer = api.get(f"/providers/{code}")
        assert (answer.status_code, api.error_class(answer)) == (
            404,
            "ProviderNotFound",
        )


def test_providers_paging(api):
    rows, pages = api.all_pages("/providers", per_page=3, include_sandboxes="true")
    assert pages == 3 and len(rows) == 7
