"""The plugin's options (command line and ini file), each checked in an inner pytest session
that sees the mock they start."""

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOPHOS = REPO / "features" / "profiles" / "sophos-central.toml"
ISOLATION = Path(__file__).with_name("test_isolation.py")


def test_the_isolation_file_runs_both_tests_and_both_pass(pytester):
    pytester.makepyfile(test_iso=ISOLATION.read_text())
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_isolation_fails_without_the_reset(pytester):
    # The same two tests against the session's mock object directly (no reset between them):
    # the second sees the first one's company, so the isolation test can fail.
    text = ISOLATION.read_text().replace("(connectwise_mock)", "(_connectwise_mock_session)")
    text = text.replace("connectwise_mock.", "_connectwise_mock_session.").replace("_companies(connectwise_mock,", "_companies(_connectwise_mock_session,")
    pytester.makepyfile(test_iso=text)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1, failed=1)


def test_a_fixture_directory_from_the_ini_file(pytester, tmp_path):
    tenant = json.loads((REPO / "fixtures" / "default" / "cwmock.json").read_text())
    tenant["company"] = "othermsp"
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    (fixtures / "othermsp.json").write_text(json.dumps(tenant))
    pytester.makeini(f"[pytest]\nconnectwise_mock_fixtures = {fixtures}\n")
    pytester.makepyfile(
        """
        def test_company(connectwise_mock):
            assert connectwise_mock.company == "othermsp"
            assert connectwise_mock.env["CW_COMPANY"] == "othermsp"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_profile_from_the_command_line_gives_an_integration_identity(pytester):
    pytester.makepyfile(
        """
        import requests

        def get(mock, method, path):
            who = mock.integration
            return requests.request(method, mock.api_url + path, timeout=10,
                auth=(f"{who.company}+{who.public_key}", who.private_key), headers={"clientId": who.client_id})

        def test_the_profile_member_has_its_rows(connectwise_mock):
            assert connectwise_mock.integration.member == "SophosSync"
            assert get(connectwise_mock, "GET", "/company/companies").status_code == 200
            assert get(connectwise_mock, "GET", "/finance/agreements").status_code == 200
            # Delete is granted on no row of the profile.
            assert get(connectwise_mock, "DELETE", "/service/tickets/1").status_code == 403

        def test_it_is_made_again_after_the_reset(connectwise_mock):
            assert connectwise_mock.requests() == []
            assert get(connectwise_mock, "GET", "/company/companies").status_code == 200
            assert [r["member"] for r in connectwise_mock.requests()] == ["SophosSync"]
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", f"--connectwise-mock-profile={SOPHOS}")
    result.assert_outcomes(passed=2)


def test_soft_mode_and_extra_arguments(pytester):
    pytester.makepyfile(
        """
        def test_soft_and_members(connectwise_mock):
            assert connectwise_mock.soft_mode is True
            status, count = connectwise_mock.api("GET", "/system/members/count")
            assert status == 200 and count["count"] >= 40
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--connectwise-mock-soft", "--connectwise-mock-args=--members 40 --seed 3")
    result.assert_outcomes(passed=1)


def test_tls_from_the_ini_file(pytester):
    pytester.makeini("[pytest]\nconnectwise_mock_tls = true\n")
    pytester.makepyfile(
        """
        import requests

        def test_https(connectwise_mock):
            assert connectwise_mock.url.startswith("https://127.0.0.1:")
            assert connectwise_mock.env["CW_CA_CERT"] == connectwise_mock.ca_cert
            res = requests.get(f"{connectwise_mock.url}/login/companyinfo/{connectwise_mock.company}",
                               verify=connectwise_mock.ca_cert, timeout=10)
            assert res.status_code == 200
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)

