"""Runs django-connectwise's full sync (`cwsync --full`), unchanged, against the mock, then
checks that it stored what the mock holds: a sync application's silent gap (a table that
syncs nothing while the mock has records) fails like an error does.

Environment: the CW_* lines the mock prints and REQUESTS_CA_BUNDLE. Exit 1 on any failure.
"""

import io
import os
import re
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
os.environ.setdefault("DJ_DB", os.path.join(tempfile.mkdtemp(prefix="djcw-"), "db.sqlite3"))
os.environ["DJANGO_SETTINGS_MODULE"] = "settings"

import logging  # noqa: E402

import django  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.base import CommandError  # noqa: E402

django.setup()
call_command("migrate", verbosity=0)
out, err = io.StringIO(), io.StringIO()
log = logging.getLogger("djconnectwise")
log.handlers = [logging.StreamHandler(err)]
failures = []
with redirect_stdout(out), redirect_stderr(err):
    try:
        call_command("cwsync", full=True)
    except CommandError as e:
        failures.append(f"cwsync: {e}".replace("\n", " | "))

# "Ticket Sync Summary - Created: 5, Updated: 0, Skipped: 0, Deleted: 0"
summary = {m[0]: tuple(int(x) for x in m[1:]) for m in
           re.findall(r"^(.+?) Sync Summary - Created: (\d+), Updated: (\d+), Skipped: (\d+), Deleted: (\d+)",
                      out.getvalue(), re.M)}
from djconnectwise import models  # noqa: E402

# What the mock's default tenant holds must arrive: these are the tables a PSA sync lives on.
expect = {
    "Member": models.Member, "Board": models.ConnectWiseBoard, "Board Status": models.BoardStatus,
    "Company": models.Company, "Contact": models.Contact, "Contact Communication": models.ContactCommunication,
    "Ticket": models.Ticket, "Project": models.Project, "Agreement": models.Agreement,
    "Service Note": models.ServiceNote, "Time Entry": models.TimeEntry, "Opportunity": models.Opportunity,
}
for name, model in expect.items():
    created = summary.get(name, (0,))[0]
    if created == 0 or model.objects.count() == 0:
        failures.append(f"{name}: synced {created}, stored {model.objects.count()}")
# A sync of a fresh database creates; it never finds one record twice (a project ticket with a
# service ticket's number overwrote it).
for name, (created, updated, skipped, deleted) in summary.items():
    if updated or deleted:
        failures.append(f"{name}: a first sync updated {updated} and deleted {deleted}")

# Log lines that are the client's own bugs or choices, not the server's (commented):
KNOWN = [
    # ConfigurationTypeSynchronizer reads the configuration *statuses* endpoint
    # (api.py get_configuration_types → ENDPOINT_STATUS): statuses have no name.
    r"ConfigurationTypeTracker'>\. Error: NOT NULL constraint failed: djconnectwise_configurationtype\.name",
    # Its settings ask for a list of excluded company statuses; none is configured here.
    r"Invalid status ID\(s\) in company_exclude_status_ids",
    # A warning of the client: the fixtures' companies name no territory (allowed by the schema).
    r"No Territory ID received in request for Company",
    # It syncs before their targets exist (projects before companies; tickets before sources)
    # and logs it; the next sync finds them.
    r"Failed to find (company|source) \d+ for",
]
unknown = [line for line in err.getvalue().splitlines() if line.strip() and not any(re.search(k, line) for k in KNOWN)]
failures += [f"log: {line}" for line in unknown]

print(f"django-connectwise cwsync --full: {len(summary)} synchronizers, "
      f"{sum(c for c, *_ in summary.values())} records created")
for f in failures:
    print("  FAIL", f)
sys.exit(1 if failures else 0)
