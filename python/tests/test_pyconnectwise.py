"""pyconnectwise 0.6.1.2 (PyPI), unchanged, against a TLS mock from the factory: it builds
``https://{host}/v4_6_release/apis/3.0`` itself, so it needs https and the mock's certificate."""

import pytest
from pyconnectwise import ConnectWiseManageAPIClient


@pytest.fixture(scope="module")
def tls_mock(connectwise_mock_factory):
    return connectwise_mock_factory(tls=True)


@pytest.fixture
def client(tls_mock, monkeypatch):
    tls_mock.reset()
    assert tls_mock.url.startswith("https://") and tls_mock.ca_cert
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_mock.ca_cert)
    return ConnectWiseManageAPIClient(
        tls_mock.company, tls_mock.host, tls_mock.client_id, tls_mock.public_key, tls_mock.private_key
    )


def test_pyconnectwise_lists_and_filters_members(client):
    members = client.system.members.get(params={"orderBy": "identifier", "pageSize": 100})
    assert len(members) > 1
    identifiers = [m.identifier for m in members]
    assert identifiers == sorted(identifiers, key=str.lower) or identifiers == sorted(identifiers)
    d_only = client.system.members.get(params={"conditions": 'lastName like "D%"'})
    assert d_only and all(m.last_name.startswith("D") for m in d_only)


def test_pyconnectwise_pages_with_the_link_header(client):
    page = client.system.members.paginated(1, 2, params={"orderBy": "identifier"})
    seen = [m.identifier for m in page.data]
    assert len(seen) == 2
    page.get_next_page()
    assert page.data and not set(m.identifier for m in page.data) & set(seen)


def test_pyconnectwise_creates_reads_and_patches_a_company(client, tls_mock):
    made = client.company.companies.post(data={"identifier": "PyCwCo", "name": "PyCW Co"})
    assert made.id and made.identifier == "PyCwCo"
    patched = client.company.companies.id(made.id).patch(data=[{"op": "replace", "path": "name", "value": "Renamed Co"}])
    assert patched.name == "Renamed Co"
    assert client.company.companies.id(made.id).get().name == "Renamed Co"
    journal = tls_mock.requests(method="PATCH")
    assert len(journal) == 1 and journal[0]["status"] == 200


def test_pyconnectwise_sees_a_403_from_a_missing_level(tls_mock, monkeypatch):
    tls_mock.reset()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_mock.ca_cert)
    sync = tls_mock.member_with_levels("PyLimited", {"System > Member Maintenance": {"Inquire": "All"}})
    limited = ConnectWiseManageAPIClient(sync.company, tls_mock.host, sync.client_id, sync.public_key, sync.private_key)
    assert limited.system.members.get()
    with pytest.raises(Exception) as refused:
        limited.company.companies.get()
    assert "403" in str(refused.value) or "Forbidden" in type(refused.value).__name__
