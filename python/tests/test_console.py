"""The fixture's settings and console helpers, driven with plain ``requests``."""

import os
import subprocess

import pytest
import requests

from mock_connectwise import BinaryNotFound, ConnectWiseMock, MockError, MockOptions, find_binary


def call(mock, method, path, who=None, **kw):
    who = who or mock.admin
    return requests.request(
        method,
        mock.api_url + path,
        auth=(f"{who.company}+{who.public_key}", who.private_key),
        headers={"clientId": who.client_id},
        timeout=10,
        **kw,
    )


def test_the_settings_are_what_the_binary_printed(connectwise_mock):
    env = connectwise_mock.env
    assert env["CW_URL"] == connectwise_mock.url and connectwise_mock.url.startswith("http://127.0.0.1:")
    assert not connectwise_mock.url.endswith(":0")
    assert connectwise_mock.api_url == connectwise_mock.url + "/v4_6_release/apis/3.0"
    for attr, key in [("company", "CW_COMPANY"), ("public_key", "CW_PUBLIC_KEY"), ("private_key", "CW_PRIVATE_KEY"), ("client_id", "CW_CLIENT_ID")]:
        assert getattr(connectwise_mock, attr) == env[key] and env[key]
    info = requests.get(f"{connectwise_mock.url}/login/companyinfo/{connectwise_mock.company}", timeout=10)
    assert info.status_code == 200 and info.json()["Codebase"] == "v4_6_release/"


def test_the_admin_keys_authenticate_and_wrong_ones_do_not(connectwise_mock):
    assert call(connectwise_mock, "GET", "/system/members").status_code == 200
    bad = requests.get(f"{connectwise_mock.api_url}/system/members", auth=(f"{connectwise_mock.company}+nope", "nope"),
                       headers={"clientId": connectwise_mock.client_id}, timeout=10)
    assert bad.status_code == 401


def test_connectwise_env_sets_the_process_environment(connectwise_env):
    assert os.environ["CW_URL"] == connectwise_env["CW_URL"]
    assert os.environ["CW_PRIVATE_KEY"] == connectwise_env["CW_PRIVATE_KEY"]


def test_a_role_with_no_levels_is_refused_until_a_level_is_set(connectwise_mock):
    sync = connectwise_mock.member_with_levels("PySync", {})
    assert call(connectwise_mock, "GET", "/company/companies", who=sync).status_code == 403
    connectwise_mock.set_levels(sync.role_id, {"Companies > Company Maintenance": {"Inquire": "All"}})
    assert call(connectwise_mock, "GET", "/company/companies", who=sync).status_code == 200
    levels = connectwise_mock.role_levels(sync.role_id)
    assert "Companies > Company Maintenance" in str(levels)


def test_make_key_shows_the_private_key_once_and_it_authenticates(connectwise_mock):
    connectwise_mock.api("POST", "/system/apiMembers",
                         {"identifier": "KeyOwner", "name": "KeyOwner", "securityRole": {"id": 1}}, expect=201)
    key = connectwise_mock.make_key("KeyOwner", "from pytest")
    assert key.private_key and key.private_key not in repr(key)
    assert call(connectwise_mock, "GET", "/system/members", who=key).status_code == 200
    listed = connectwise_mock.console("GET", f"/companies/{connectwise_mock.company}/members/KeyOwner/keys")
    assert key.private_key not in str(listed) and key.public_key in str(listed)


def test_a_fault_fires_and_the_request_journal_records_it(connectwise_mock):
    rule = connectwise_mock.add_fault(method="GET", path="/service/tickets", action="status", status=503, retry_after=2, times=1)
    assert [f["id"] for f in connectwise_mock.faults()] == [rule]
    first = call(connectwise_mock, "GET", "/service/tickets")
    assert first.status_code == 503 and first.headers["Retry-After"] == "2"
    assert call(connectwise_mock, "GET", "/service/tickets").status_code == 200
    journal = connectwise_mock.requests(path="/service/tickets")
    assert [r["status"] for r in journal] == [200, 503]
    assert connectwise_mock.requests(status=503)[0]["path"].endswith("/service/tickets")


def test_reset_clears_faults_the_journal_and_soft_mode(connectwise_mock):
    connectwise_mock.add_fault(path="/system/**", action="status", status=500)
    connectwise_mock.set_soft_mode(True)
    call(connectwise_mock, "GET", "/company/companies")
    connectwise_mock.reset()
    assert connectwise_mock.faults() == []
    assert connectwise_mock.requests() == []
    assert connectwise_mock.soft_mode is False
    assert call(connectwise_mock, "GET", "/system/members").status_code == 200


def test_a_console_error_raises_with_the_connectwise_body(connectwise_mock):
    with pytest.raises(MockError) as err:
        connectwise_mock.set_levels("no such role", {"Finance > Agreements": {"Add": "All"}})
    assert err.value.status in (400, 404)
    assert set(err.value.body) >= {"code", "message"}


def test_an_unknown_binary_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("MOCK_CONNECTWISE_BIN", str(tmp_path / "missing"))
    with pytest.raises(BinaryNotFound, match="missing"):
        find_binary()
    with pytest.raises(BinaryNotFound):
        ConnectWiseMock(MockOptions())


def test_a_mock_that_cannot_start_says_why(connectwise_mock_factory):
    with pytest.raises(MockError, match="exited"):
        connectwise_mock_factory(args=["--rate-limit", "nonsense"])


def test_the_installed_binary_is_the_one_found(connectwise_mock):
    out = subprocess.run([find_binary(), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("mock-connectwise ")


def test_one_fixture_file_is_enough(connectwise_mock_factory, tmp_path):
    import json
    from pathlib import Path

    tenant = json.loads((Path(__file__).resolve().parents[2] / "fixtures/default/cwmock.json").read_text())
    tenant["company"] = "filemsp"
    path = tmp_path / "filemsp.json"
    path.write_text(json.dumps(tenant))
    mock = connectwise_mock_factory(fixtures=path)
    assert mock.company == "filemsp"
    assert mock.api("GET", "/system/members", expect=200)[1]
    mock.stop()
