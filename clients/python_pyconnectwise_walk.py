"""Walks every GET endpoint pyconnectwise (HealthITAU, PyPI) exposes, unchanged, against the
running mock: from the client's twelve modules down every registered child endpoint and every
`.id(n)` (n: the id of a record the parent's list answered, else 1), calling `get()` once per
endpoint class. Then checks the walk reached every endpoint class of the package
(`pyconnectwise.endpoints.manage`) that has a `get`.

Environment: the CW_* lines the mock prints (run it with --tls --populate) and
REQUESTS_CA_BUNDLE. Fails (exit 1) on any call the mock does not route (404 "The requested
resource ... was not found", 405), any 404 naming a record (a populated mock has a record
behind every path), any 5xx, any answer pyconnectwise cannot parse into its model, or any
endpoint class the walk did not reach.
"""

import importlib
import os
import pkgutil
import re
import sys

import pyconnectwise.endpoints.manage as manage_pkg
from pyconnectwise import ConnectWiseManageAPIClient
from pyconnectwise.exceptions import ConnectWiseException

MODULES = ["company", "configurations", "expense", "finance", "marketing", "procurement", "project",
           "sales", "schedule", "service", "system", "time"]

env = os.environ
cw = ConnectWiseManageAPIClient(env["CW_COMPANY"], env["CW_URL"].removeprefix("https://"), env["CW_CLIENT_ID"],
                                env["CW_PUBLIC_KEY"], env["CW_PRIVATE_KEY"])

visited, called, instances = set(), 0, {}
quirks = []
# Answers pyconnectwise cannot parse because its model follows a quirk of the official file,
# not the server: listed, not failed.
QUIRKS = {
    "/schedule/calendars/count": "the official file gives this count the Calendar schema; every /count answers {count}",
    # The 2026.4 file calls this count a list of notes (A15.22); the mock answers a count.
    "/sales/opportunities/1/notes/count": "the official file gives this count a list of notes; every /count answers {count}",
    # The 2025.1 file gives these items an array answer; every item path answers its record.
    "/procurement/products/1/components/1": "the official file gives this item an array answer",
    "/procurement/products/1/pickingShippingDetails/1": "the official file gives this item an array answer",
    # The file's list is of Forecast records, its item a ForecastItem (forecastType required).
    "/sales/opportunities/1/forecast/1": "the official file gives this item the ForecastItem schema, its list Forecast",
    # pyconnectwise models column_definitions as a list of lists; ConnectWise answers a list of
    # one-key objects ({"Member_RecID": {type, isNullable, identityColumn}}), as the mock does.
    "/system/reports/1": "pyconnectwise models column_definitions as lists, ConnectWise answers objects",
}
unreachable = []


def documented(cls):
    """The path the class's `get` documents (`/company/addressFormats/{id}`), as a pattern."""
    doc = (cls.get.__doc__ or "") if callable(getattr(cls, "get", None)) else ""
    m = re.search(r"against the (\S+) endpoint", doc)
    return m and re.compile(re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(m.group(1))) + "$", re.I)
ok, record_404, unrouted, server, unparsed = [], [], [], [], []


def url_of(ep):
    try:
        return ep._get_endpoint_url()
    except Exception:  # noqa: BLE001 - only for the report
        return type(ep).__name__


def first_id(result):
    items = result if isinstance(result, list) else [result]
    for item in items:
        i = getattr(item, "id", None)
        if isinstance(i, int) and i > 0:
            return i
    return None


def call(ep):
    global called
    called += 1
    try:
        return ep.get(params={"pageSize": 5}) if "params" in ep.get.__code__.co_varnames else ep.get()
    except ConnectWiseException as e:
        status, text = e.response.status_code, e.response.text
        where = f"{url_of(ep)}: {status} {text[:160]}"
        if status == 404 and "The requested resource" in text or status == 405:
            unrouted.append(where)
        elif status == 404:
            record_404.append(where)
        elif status >= 500:
            server.append(where)
        else:
            unparsed.append(where)
    except Exception as e:  # noqa: BLE001 - a model pyconnectwise cannot build from the answer
        where = f"{url_of(ep)}: {type(e).__name__}: {str(e)[:200]}"
        quirk = next((why for path, why in QUIRKS.items() if url_of(ep).endswith(path)), None)
        (quirks if quirk else unparsed).append(f"{where} [{quirk}]" if quirk else where)
    return None


def walk(ep, depth=0):
    name = type(ep).__name__
    if name in visited or depth > 12:
        return
    visited.add(name)
    instances[name] = ep
    result = None
    if callable(getattr(ep, "get", None)) and name.endswith("Endpoint"):
        result = call(ep)
        if result is not None:
            ok.append(url_of(ep))
    n = first_id(result) if result is not None else None
    for child in list(getattr(ep, "_child_endpoints", [])):
        walk(child, depth + 1)
    if callable(getattr(ep, "id", None)):
        walk(ep.id(n or 1), depth + 1)


for module in MODULES:
    walk(getattr(cw, module))

# Endpoint classes pyconnectwise defines but registers on no parent (a client cannot reach them
# through attributes): built on the nearest parent class, as their own constructor allows.
classes = {}

gettable, broken = set(), []
for info in pkgutil.iter_modules(manage_pkg.__path__):
    try:
        mod = importlib.import_module(f"{manage_pkg.__name__}.{info.name}")
    except ImportError as e:
        # A module of pyconnectwise 0.6.1.2 that imports a model the package lacks: no client
        # can reach it.
        broken.append(f"{info.name}: {e}")
        continue
    cls = getattr(mod, info.name, None)
    if cls is not None:
        classes[info.name] = cls
    if cls is not None and callable(getattr(cls, "get", None)) and "get" in cls.__dict__:
        gettable.add(info.name)


def construct(name):
    """An instance of endpoint class `name`, on an instance of the longest parent class."""
    if name in instances:
        return instances[name]
    words = re.findall(r"[A-Z][a-z0-9]*", name[: -len("Endpoint")])
    for k in range(len(words) - 1, 0, -1):
        pname = "".join(words[:k]) + "Endpoint"
        # An id level is never skipped: `…IdPriorities` hangs on `….id(n)`.
        if pname not in classes and pname not in instances or "Id" in words[k + 1:]:
            continue
        parent = construct(pname)
        if parent is None:
            continue
        if words[k:] == ["Id"] and callable(getattr(parent, "id", None)):
            inst = parent.id(1)
        else:
            inst = classes[name](parent.client, parent_endpoint=parent)
        instances[name] = inst
        return inst
    return None


for name in sorted(gettable - visited):
    inst = construct(name)
    pattern = documented(classes[name])
    # Built on the wrong parent (its own is a module pyconnectwise cannot import): no client
    # reaches it.
    if inst is None or not pattern or not pattern.search(url_of(inst).split("apis/3.0", 1)[-1]):
        unreachable.append(name)
        continue
    walk(inst)
missed = sorted(gettable - visited - set(unreachable))

print(f"pyconnectwise walk: {len(gettable)} endpoint classes with get(); {len(visited)} visited; {called} GET calls")
print(f"  {len(broken)} endpoint modules pyconnectwise itself cannot import (left out)")
print(f"  {len(unreachable)} endpoint classes hang on such a module: no client reaches them (left out)")
print(f"  {len(ok)} answered and parsed into pyconnectwise's models")
print(f"  {len(record_404)} answered 404 naming a record nothing stores (start the mock with --populate)")
for x in record_404:
    print("    FAIL", x)
print(f"  {len(quirks)} not parsed because pyconnectwise follows a quirk of the official file")
for x in quirks:
    print("    ", x)
for label, items in [("unrouted (404 path / 405)", unrouted), ("5xx", server), ("not parsed / other error", unparsed),
                     ("classes the walk did not reach", missed)]:
    print(f"  {len(items)} {label}")
    for x in items[:60]:
        print("    FAIL", x)
sys.exit(1 if unrouted or record_404 or server or unparsed or missed else 0)
