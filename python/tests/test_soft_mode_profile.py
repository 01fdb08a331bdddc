"""Soft mode: run a workload as an API member with no levels, export the least privilege it
needed as a profile, apply that profile on the reset mock, and replay the workload."""

import requests


def workload(mock, who):
    """What a small sync does: read companies, open a ticket, read members."""
    session = requests.Session()
    session.auth = (f"{who.company}+{who.public_key}", who.private_key)
    session.headers["clientId"] = who.client_id
    statuses = [session.get(f"{mock.api_url}/company/companies", timeout=10).status_code]
    ticket = {"summary": "from the sync", "company": {"id": 1}, "board": {"id": 1}}
    statuses.append(session.post(f"{mock.api_url}/service/tickets", json=ticket, timeout=10).status_code)
    statuses.append(session.get(f"{mock.api_url}/system/members", timeout=10).status_code)
    return statuses


def test_a_soft_mode_run_exports_a_profile_that_lets_the_run_pass(connectwise_mock):
    connectwise_mock.set_soft_mode(True)
    recorder = connectwise_mock.member_with_levels("SoftSync", {})
    assert workload(connectwise_mock, recorder) == [200, 201, 200]
    journal = connectwise_mock.permission_journal()
    assert "SoftSync" in str(journal)
    profile = connectwise_mock.exported_profile("SoftSync")
    assert 'identifier = "SoftSync"' in profile
    assert 'function = "Service Desk > Service Tickets"' in profile
    assert 'function = "Companies > Company Maintenance"' in profile

    connectwise_mock.reset()
    assert connectwise_mock.soft_mode is False
    nobody = connectwise_mock.member_with_levels("NoLevels", {})
    assert workload(connectwise_mock, nobody) == [403, 403, 403]
    applied = connectwise_mock.apply_profile(profile)
    assert applied.member == "SoftSync"
    assert workload(connectwise_mock, applied) == [200, 201, 200]


def test_exporting_an_unknown_member_is_a_404(connectwise_mock):
    import pytest

    from mock_connectwise import MockError

    with pytest.raises(MockError) as err:
        connectwise_mock.exported_profile("NeverCalled")
    assert err.value.status == 404
