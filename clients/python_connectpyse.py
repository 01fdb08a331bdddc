"""Drives the running mock with connectpyse (markciecior/ConnectPyse, PyPI), unchanged.

Environment: the CW_* lines the mock prints and, with --tls, REQUESTS_CA_BUNDLE=$CW_CA_CERT.
connectpyse sends no Accept header and a trailing slash on every path. Every call must
succeed; any exception or wrong answer exits non-zero.
"""

import base64
import os
import sys
import uuid

from connectpyse.company import companies_api, company
from connectpyse.service import ticket, tickets_api
from connectpyse.system import member, members_api

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
url = f"{env['CW_URL']}/v4_6_release/apis/3.0"
token = base64.b64encode(f"{env['CW_COMPANY']}+{env['CW_PUBLIC_KEY']}:{env['CW_PRIVATE_KEY']}".encode()).decode()
auth = {"Authorization": f"Basic {token}", "clientId": env["CW_CLIENT_ID"]}
tag = uuid.uuid4().hex[:6]


def pages(api, getter, size):
    """connectpyse's own paging: set page and pageSize on the controller, stop at a short page."""
    out, api.page, api.pageSize = [], 1, size
    while True:
        chunk = list(getter())
        out += chunk
        if len(chunk) < size:
            return out
        api.page += 1


# --- members -----------------------------------------------------------------------------
mapi = members_api.MembersAPI(url=url, auth=auth)
everyone = step("members: list", lambda: list(mapi.get_members()))
check("members: list", bool(everyone))
count = step("members: count", mapi.get_members_count)
papi = members_api.MembersAPI(url=url, auth=auth)
papi.orderBy = "identifier"
walked = step("members: pages", lambda: pages(papi, papi.get_members, 2))
check("members: page/pageSize walk matches the count", walked is not None and len(walked) == count == len({m.id for m in walked}), f"{len(walked or [])} vs {count}")
fapi = members_api.MembersAPI(url=url, auth=auth)
fapi.conditions = 'licenseClass = "A"'
api_members = step("members: filter", lambda: list(fapi.get_members()))
check("members: API members are listed with licenseClass A", bool(api_members) and all(m.licenseClass == "A" for m in api_members))
new = member.Member()
for k, v in {"identifier": f"cps{tag}", "firstName": "Conn", "lastName": "Pyse", "licenseClass": "F",
             "hireDate": "2024-01-01T00:00:00Z", "defaultEmail": "Office", "defaultPhone": "Office",
             "securityRole": {"id": 2}}.items():
    setattr(new, k, v)
m = step("members: create", lambda: mapi.create_member(new))
if m:
    back = step("members: read back", lambda: mapi.get_member_by_id(m.id))
    check("members: read back", back is not None and back.identifier == f"cps{tag}")
    p = step("members: patch", lambda: mapi.update_member(m.id, "title", "Patched"))
    check("members: patch", p is not None and p.title == "Patched")

# --- companies ---------------------------------------------------------------------------
capi = companies_api.CompaniesAPI(url=url, auth=auth)
cos = step("companies: list", lambda: list(capi.get_companies()))
check("companies: list", bool(cos))
papi = companies_api.CompaniesAPI(url=url, auth=auth)
walked = step("companies: pages", lambda: pages(papi, papi.get_companies, 1))
check("companies: page/pageSize walk", walked is not None and len(walked) == len(cos or []))
fapi = companies_api.CompaniesAPI(url=url, auth=auth)
fapi.conditions = 'identifier like "Acme%" and deletedFlag = false'
flt = step("companies: filter", lambda: list(fapi.get_companies()))
check("companies: filter", flt is not None and len(flt) >= 1)
new = company.Company()
for k, v in {"identifier": f"Cps{tag}", "name": "ConnectPyse Co", "site": {"name": "Main"}}.items():
    setattr(new, k, v)
c = step("companies: create", lambda: capi.create_company(new))
if c:
    back = step("companies: read back", lambda: capi.get_company_by_id(c.id))
    check("companies: read back", back is not None and back.identifier == f"Cps{tag}")
    p = step("companies: patch", lambda: capi.update_company_multiple_keys(c.id, {"city": "Austin", "state": "TX"}))
    check("companies: patch", p is not None and (p.city, p.state) == ("Austin", "TX"))

# --- tickets -----------------------------------------------------------------------------
tapi = tickets_api.TicketsAPI(url=url, auth=auth)
ts = step("tickets: list", lambda: list(tapi.get_tickets()))
check("tickets: list", bool(ts))
papi = tickets_api.TicketsAPI(url=url, auth=auth)
walked = step("tickets: pages", lambda: pages(papi, papi.get_tickets, 1))
check("tickets: page/pageSize walk", walked is not None and len(walked) == len(ts or []))
new = ticket.Ticket()
for k, v in {"summary": f"connectpyse {tag}", "company": {"identifier": "AcmeCorp"}}.items():
    setattr(new, k, v)
t = step("tickets: create", lambda: tapi.create_ticket(new))
if t:
    back = step("tickets: read back", lambda: tapi.get_ticket_by_id(t.id))
    check("tickets: read back", back is not None and back.summary == f"connectpyse {tag}")
    p = step("tickets: patch", lambda: tapi.update_ticket(t.id, "status/id", 2))
    check("tickets: patch status/id", p is not None and p.status["name"] == "In Progress")
    fapi = tickets_api.TicketsAPI(url=url, auth=auth)
    fapi.conditions = f'summary = "connectpyse {tag}" and status/name = "In Progress"'
    flt = step("tickets: filter", lambda: list(fapi.get_tickets()))
    check("tickets: filter", flt is not None and [x.id for x in flt] == [t.id])

print(f"connectpyse: {len(FAILED)} failed")
sys.exit(1 if FAILED else 0)
