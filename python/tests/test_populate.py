"""The ``populate`` option: a mock started with ``--populate`` has a record in every
collection the fixtures leave empty, again after every reset; without it they stay empty."""

import pytest
from pyconnectwise import ConnectWiseManageAPIClient

# Empty in the built-in fixtures (the walk's first record 404s before --populate).
EMPTY_IN_FIXTURES = ["/company/addressFormats", "/finance/taxCodes", "/service/surveys"]


@pytest.fixture(scope="module")
def populated(connectwise_mock_factory):
    return connectwise_mock_factory(populate=True, tls=True)


@pytest.mark.parametrize("path", EMPTY_IN_FIXTURES)
def test_a_collection_the_fixtures_leave_empty_has_one_record(populated, path):
    populated.reset()
    status, records = populated.api("GET", path)
    assert status == 200 and len(records) == 1, records
    status, one = populated.api("GET", f"{path}/{records[0]['id']}")
    assert status == 200 and one["id"] == records[0]["id"]


def _without_info(records):
    # `_info` holds the time of the load, which a reset moves.
    return [{k: v for k, v in r.items() if k != "_info"} for r in records]


def test_a_reset_brings_the_generated_record_back(populated):
    populated.reset()
    _, before = populated.api("GET", "/company/addressFormats")
    populated.api("DELETE", f"/company/addressFormats/{before[0]['id']}", expect=204)
    assert populated.api("GET", "/company/addressFormats")[1] == []
    populated.reset()
    assert _without_info(populated.api("GET", "/company/addressFormats")[1]) == _without_info(before)


def test_pyconnectwise_reads_a_child_record_under_the_first_parent(populated, monkeypatch):
    populated.reset()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", populated.ca_cert)
    cw = ConnectWiseManageAPIClient(
        populated.company, populated.host, populated.client_id, populated.public_key, populated.private_key
    )
    company = cw.company.companies.get()[0]
    notes = cw.company.companies.id(company.id).notes.get()
    assert notes, "the first company has a note"
    assert cw.company.companies.id(company.id).notes.id(notes[0].id).get().id == notes[0].id


def test_without_the_option_the_collection_stays_empty(connectwise_mock):
    assert connectwise_mock.options.populate is False
    assert connectwise_mock.api("GET", "/company/addressFormats")[1] == []


def test_the_option_from_the_command_line(pytester):
    pytester.makepyfile(
        """
        def test_populated(connectwise_mock):
            assert connectwise_mock.options.populate is True
            status, formats = connectwise_mock.api("GET", "/company/addressFormats")
            assert status == 200 and len(formats) == 1
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "--connectwise-mock-populate").assert_outcomes(passed=1)
