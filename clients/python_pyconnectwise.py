"""Drives the running mock with pyconnectwise (HealthITAU, PyPI), unchanged.

Environment: the CW_* lines the mock prints (run it with --tls: pyconnectwise builds https://
URLs only) and REQUESTS_CA_BUNDLE=$CW_CA_CERT. Every call must succeed; any exception or
wrong answer exits non-zero.
"""

import os
import sys
import uuid

from pyconnectwise import ConnectWiseManageAPIClient

FAILED = []


def check(what, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + what + (f" ({detail})" if detail and not ok else ""))
    if not ok:
        FAILED.append(what)


def step(what, fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - every failure is reported, then the script fails
        check(what, False, f"{type(e).__name__}: {e}")
        return None


env = os.environ
cw = ConnectWiseManageAPIClient(
    env["CW_COMPANY"],
    env["CW_URL"].removeprefix("https://"),
    env["CW_CLIENT_ID"],
    env["CW_PUBLIC_KEY"],
    env["CW_PRIVATE_KEY"],
)
tag = uuid.uuid4().hex[:6]

# --- members -----------------------------------------------------------------------------
members = step("members: list", lambda: cw.system.members.get(params={"pageSize": 100}))
check("members: list", bool(members))
paged = step("members: paginated(1, 2).all()", lambda: list(cw.system.members.paginated(1, 2, params={"orderBy": "identifier"}).all()))
check("members: own pagination walks every member once", paged is not None and len(paged) == len({m.id for m in paged}) == len(members or []), f"{len(paged or [])} vs {len(members or [])}")
full = step("members: filter", lambda: cw.system.members.get(params={"conditions": 'licenseClass != "A"', "pageSize": 1000}))
check("members: filter licenseClass != \"A\" leaves out API members", full is not None and all(m.license_class != "A" for m in full) and len(full) < len(members or []))
m = step("members: create", lambda: cw.system.members.post(data={
    "identifier": f"pcw{tag}", "firstName": "Py", "lastName": "Trial", "licenseClass": "F",
    "hireDate": "2024-01-01T00:00:00Z", "defaultEmail": "Office", "defaultPhone": "Office",
    "securityRole": {"id": 2}}))
if m:
    back = step("members: read back", lambda: cw.system.members.id(m.id).get())
    check("members: read back", back is not None and back.identifier == f"pcw{tag}")
    p = step("members: patch", lambda: cw.system.members.id(m.id).patch(data=[{"op": "replace", "path": "title", "value": "Patched"}]))
    check("members: patch", p is not None and p.title == "Patched")

# --- companies ---------------------------------------------------------------------------
cos = step("companies: list", lambda: cw.company.companies.get())
check("companies: list", bool(cos))
walked = step("companies: paginated(1, 1).all()", lambda: list(cw.company.companies.paginated(1, 1).all()))
check("companies: own pagination", walked is not None and len(walked) == len(cos or []))
flt = step("companies: filter", lambda: cw.company.companies.get(params={"conditions": 'identifier like "Acme%" and deletedFlag = false'}))
check("companies: filter", flt is not None and len(flt) >= 1 and all(c.identifier.startswith("Acme") for c in flt))
c = step("companies: create", lambda: cw.company.companies.post(data={"identifier": f"Pcw{tag}", "name": "Py Client Co", "site": {"name": "Main"}}))
if c:
    back = step("companies: read back", lambda: cw.company.companies.id(c.id).get())
    check("companies: read back", back is not None and back.identifier == f"Pcw{tag}")
    p = step("companies: patch", lambda: cw.company.companies.id(c.id).patch(data=[{"op": "replace", "path": "city", "value": "Tampa"}]))
    check("companies: patch", p is not None and p.city == "Tampa")

# --- tickets -----------------------------------------------------------------------------
ts = step("tickets: list", lambda: cw.service.tickets.get())
check("tickets: list", bool(ts))
walked = step("tickets: paginated(1, 1).all()", lambda: list(cw.service.tickets.paginated(1, 1, params={"conditions": "closedFlag = false"}).all()))
check("tickets: own pagination", walked is not None and len(walked) >= 1)
t = step("tickets: create", lambda: cw.service.tickets.post(data={"summary": f"pyconnectwise {tag}", "company": {"identifier": "AcmeCorp"}, "board": {"name": "Help Desk"}}))
if t:
    back = step("tickets: read back", lambda: cw.service.tickets.id(t.id).get())
    check("tickets: read back", back is not None and back.summary == f"pyconnectwise {tag}")
    # As a sync closes an alert: the board's closed status, looked up, then set by name.
    closed = step("tickets: the board's closed status", lambda: cw.service.boards.id(back.board.id).statuses.get(params={"conditions": "closedStatus = true"}))
    check("tickets: the board's closed status", bool(closed))
    name = closed[0].name if closed else "Closed"
    p = step("tickets: patch status by name", lambda: cw.service.tickets.id(t.id).patch(data=[{"op": "replace", "path": "status/name", "value": name}]))
    check("tickets: patch status by name closes it", p is not None and p.status.name == name and p.closed_flag is True)
    flt = step("tickets: filter", lambda: cw.service.tickets.get(params={"conditions": f'summary = "pyconnectwise {tag}" and closedFlag = true'}))
    check("tickets: filter", flt is not None and [x.id for x in flt] == [t.id])

# --- the wider surface a vendor sync reads and writes -----------------------------------------
pri = step("priorities: list", lambda: cw.service.priorities.get())
check("priorities: list", bool(pri))
co = step("companies: by identifier", lambda: cw.company.companies.get(params={"conditions": 'identifier = "AcmeCorp"'}))
if co:
    sites = step("companies: sites", lambda: cw.company.companies.id(co[0].id).sites.get())
    check("companies: sites", bool(sites))
    c = step("contacts: create", lambda: cw.company.contacts.post(data={"firstName": "Py", "lastName": f"Contact {tag}", "company": {"id": co[0].id}}))
    check("contacts: create", c is not None and c.company.id == co[0].id)
    found = step("contacts: filter by company", lambda: cw.company.contacts.get(params={"conditions": f"company/id = {co[0].id}"}))
    check("contacts: filter by company", found is not None and any(x.id == c.id for x in found))
    step("configurations: list", lambda: cw.company.configurations.get())
if t:
    n = step("tickets: add a note", lambda: cw.service.tickets.id(t.id).notes.post(data={"text": f"note {tag}", "internalAnalysisFlag": True}))
    check("tickets: add a note", n is not None and n.text == f"note {tag}")
    notes = step("tickets: notes", lambda: cw.service.tickets.id(t.id).notes.get())
    check("tickets: notes", notes is not None and any(x.id == n.id for x in notes))
cb = step("callbacks: create", lambda: cw.system.callbacks.post(data={"url": "https://example.com/hook", "objectId": 1, "type": "Ticket", "level": "Board", "description": tag}))
check("callbacks: create", cb is not None and cb.url == "https://example.com/hook")

print(f"pyconnectwise: {len(FAILED)} failed")
sys.exit(1 if FAILED else 0)
