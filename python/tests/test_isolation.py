"""Tests that only name ``connectwise_mock``: a company one test creates is gone in the next,
because the session's mock is reset before every test."""

import requests


def _companies(mock, identifier):
    res = requests.get(
        f"{mock.api_url}/company/companies",
        params={"conditions": f'identifier="{identifier}"'},
        auth=(f"{mock.company}+{mock.public_key}", mock.private_key),
        headers={"clientId": mock.client_id},
        timeout=10,
    )
    res.raise_for_status()
    return res.json()


def test_a_created_company_is_seen(connectwise_mock):
    res = requests.post(
        f"{connectwise_mock.api_url}/company/companies",
        json={"identifier": "IsolatedCo", "name": "Isolated Co"},
        auth=(f"{connectwise_mock.company}+{connectwise_mock.public_key}", connectwise_mock.private_key),
        headers={"clientId": connectwise_mock.client_id},
        timeout=10,
    )
    assert res.status_code == 201, res.text
    assert [c["identifier"] for c in _companies(connectwise_mock, "IsolatedCo")] == ["IsolatedCo"]


def test_the_next_test_does_not_see_it(connectwise_mock):
    assert _companies(connectwise_mock, "IsolatedCo") == []
