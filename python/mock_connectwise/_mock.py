"""One ``mock-connectwise`` process and its console (``/__mock``).

The process binds ``127.0.0.1:0`` and prints its ``CW_*`` settings on stdout; nothing here sleeps
or polls for readiness: the listener is bound before the settings are printed, so the first
request after they are read is served.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import ssl
import subprocess
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from ._binary import find_binary
from ._profile import Profile, load_profile

#: The banner's settings, in the order the binary prints them.
ADMIN_KEYS = ("CW_COMPANY", "CW_PUBLIC_KEY", "CW_PRIVATE_KEY", "CW_CLIENT_ID")
CODEBASE = "v4_6_release/"
#: How long the process may take to print its settings (a large --tickets seed takes seconds).
START_TIMEOUT = 60.0
#: How long one HTTP call to the mock may take.
CALL_TIMEOUT = 30.0


class MockError(RuntimeError):
    """The mock did not start, or a console or API call got an unexpected answer."""

    def __init__(self, message: str, status: int | None = None, body: Any = None):
        super().__init__(message)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Identity:
    """Credentials an integration uses: ``Authorization: Basic company+public:private`` and
    the ``clientId`` header."""

    company: str
    public_key: str
    private_key: str
    client_id: str
    member: str | None = None
    role_id: int | None = None

    def __repr__(self) -> str:  # never show the private key in a pytest failure
        return f"Identity(company={self.company!r}, member={self.member!r}, public_key={self.public_key!r})"

    @property
    def authorization(self) -> str:
        """The ``Authorization`` header's value."""
        raw = f"{self.company}+{self.public_key}:{self.private_key}".encode()
        return "Basic " + base64.b64encode(raw).decode()


@dataclass
class MockOptions:
    """How to start the mock (the pytest options map onto these)."""

    #: Serve https with a self-signed certificate; its PEM path is ``ca_cert`` / ``CW_CA_CERT``.
    tls: bool = False
    #: A fixture directory (one JSON file per tenant) or one tenant's file; default: the built-in set.
    fixtures: str | os.PathLike[str] | None = None
    #: A profile file (TOML) to apply after start and after every reset: an API member with the
    #: profile's role and a key, as ``integration``.
    profile: str | os.PathLike[str] | None = None
    #: Start in soft mode (and return to it after every reset).
    soft: bool = False
    #: One generated record in every collection the fixtures leave empty (``--populate``),
    #: again after every reset: every GET path a client can name has a record behind it.
    populate: bool = False
    #: More command-line arguments for the binary (``--members 500 --seed 3``).
    args: Sequence[str] = field(default_factory=tuple)
    #: The executable; default: :func:`find_binary`.
    binary: str | os.PathLike[str] | None = None
    #: Extra environment for the process (``RUST_LOG``...).
    env: Mapping[str, str] = field(default_factory=dict)
    #: The console token (``--console-token``), sent on every console call.
    console_token: str | None = None


class ConnectWiseMock:
    """A running mock. ``url``, ``company``, ``public_key``, ``private_key``, ``client_id``
    (and ``ca_cert`` with TLS) are what the ``CW_*`` settings hold; ``env`` is that dict."""

    def __init__(self, options: MockOptions | None = None):
        self.options = options or MockOptions()
        self._stderr: deque[str] = deque(maxlen=200)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.env: dict[str, str] = {}
        self.integration: Identity | None = None
        self._profile: Profile | None = load_profile(self.options.profile) if self.options.profile else None
        self._process = self._spawn()
        try:
            self._read_banner()
            self._ssl = ssl.create_default_context(cafile=self.ca_cert) if self.ca_cert else None
            self._rate_limit = self.console("GET", "/rate-limit")
            self._settle()
        except BaseException:
            self.stop()
            raise

    # -- the process -------------------------------------------------------------------------

    def _spawn(self) -> subprocess.Popen[str]:
        o = self.options
        cmd = [find_binary(o.binary), "--listen", "127.0.0.1:0"]
        if o.tls:
            cmd.append("--tls")
        if o.fixtures:
            cmd += ["--fixtures", self._fixture_dir(Path(o.fixtures))]
        if o.soft:
            cmd.append("--soft")
        if o.populate:
            cmd.append("--populate")
        cmd += list(o.args)
        # Every flag reads CW_MOCK_<FLAG>: settings meant for another mock (a listen address, a
        # state file, --tls) must not reach this one unless given in the options' env.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CW_MOCK_")} | dict(o.env)
        # The console token goes by environment, never on a command line others can read.
        if o.console_token:
            env["CW_MOCK_CONSOLE_TOKEN"] = o.console_token
        env.setdefault("RUST_LOG", "info")
        return subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )

    def _fixture_dir(self, path: Path) -> str:
        """The binary reads a directory of tenant files; one file is given one of its own."""
        if not path.is_file():
            return os.fspath(path)
        self._tmp = tempfile.TemporaryDirectory(prefix="mock-connectwise-fixtures-")
        shutil.copyfile(path, Path(self._tmp.name) / path.name)
        return self._tmp.name

    def _read_banner(self) -> None:
        events: queue.Queue[tuple[str, str | None]] = queue.Queue()

        def pump(stream: Any, name: str) -> None:
            for line in stream:
                line = line.rstrip("\n")
                if name == "stderr":
                    self._stderr.append(line)
                events.put((name, line))
            events.put((name, None))

        for stream, name in ((self._process.stdout, "stdout"), (self._process.stderr, "stderr")):
            threading.Thread(target=pump, args=(stream, name), daemon=True).start()
        wanted = {"CW_URL", *ADMIN_KEYS} | ({"CW_CA_CERT"} if self.options.tls else set())
        closed, timeout, logged = 0, START_TIMEOUT, False
        while not wanted <= self.env.keys():
            try:
                name, line = events.get(timeout=timeout)
            except queue.Empty:
                if logged:
                    break
                raise MockError(f"mock-connectwise printed no settings in {START_TIMEOUT:.0f} s{self._log_tail()}")
            if line is None:
                closed += 1
                if closed == 2:
                    code = self._process.wait()
                    raise MockError(f"mock-connectwise exited with {code} before it was ready{self._log_tail()}")
                continue
            if name == "stdout" and "=" in line:
                key, value = line.split("=", 1)
                self.env[key] = value
            # A fixture set without an admin prints no admin lines. The log line "listening" is
            # written after every setting, so they are all in the stdout pipe by then: what the
            # reader thread has not delivered within a second does not exist.
            if name == "stderr" and "mock-connectwise listening" in line:
                logged, timeout = True, 1.0
        # Keep draining both pipes so the process never blocks on a full one.

    def _log_tail(self) -> str:
        tail = "\n".join(list(self._stderr)[-20:])
        return f"\n--- its stderr ---\n{tail}" if tail else ""

    def stop(self) -> None:
        """Stops the process (SIGTERM, then SIGKILL after 10 s)."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> ConnectWiseMock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def stderr(self) -> str:
        """The last lines the process logged (it never logs a secret)."""
        return "\n".join(self._stderr)

    # -- the settings ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The site root, ``http://127.0.0.1:PORT`` (``CW_URL``)."""
        return self.env["CW_URL"]

    @property
    def api_url(self) -> str:
        """The API root, ``{url}/v4_6_release/apis/3.0``."""
        return f"{self.url}/{CODEBASE}apis/3.0"

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``: what clients that build their own URL (pyconnectwise) take."""
        return urllib.parse.urlsplit(self.url).netloc

    company = property(lambda self: self.env.get("CW_COMPANY"), doc="The admin's company (``CW_COMPANY``).")
    public_key = property(lambda self: self.env.get("CW_PUBLIC_KEY"), doc="``CW_PUBLIC_KEY``.")
    private_key = property(lambda self: self.env.get("CW_PRIVATE_KEY"), doc="``CW_PRIVATE_KEY``.")
    client_id = property(lambda self: self.env.get("CW_CLIENT_ID"), doc="``CW_CLIENT_ID``.")
    ca_cert = property(lambda self: self.env.get("CW_CA_CERT"), doc="The PEM to trust with TLS (``CW_CA_CERT``).")

    @property
    def admin(self) -> Identity:
        """The seeded admin's credentials."""
        return Identity(self.company, self.public_key, self.private_key, self.client_id)

    # -- HTTP --------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        expect: int | Sequence[int] | None = None,
    ) -> tuple[int, Any]:
        """One call; answers ``(status, body)`` with a JSON body decoded (text otherwise).
        With ``expect``, any other status raises :class:`MockError` with the body."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=CALL_TIMEOUT, context=self._ssl) as res:
                status, raw, ctype = res.status, res.read(), res.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, raw, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        text = raw.decode("utf-8", "replace")
        decoded: Any = json.loads(text) if raw and "json" in ctype else text
        wanted = (expect,) if isinstance(expect, int) else expect
        if wanted is not None and status not in wanted:
            raise MockError(f"{method} {url}: expected {expect}, got {status}: {text[:2000]}", status, decoded)
        return status, decoded

    def console(self, method: str, path: str, body: Any = None, expect: int | Sequence[int] = 200) -> Any:
        """Calls ``/__mock{path}`` and answers the decoded body."""
        headers = {"x-mock-token": self.options.console_token} if self.options.console_token else {}
        return self.request(method, f"{self.url}/__mock{path}", body, headers, expect)[1]

    def api(
        self, method: str, path: str, body: Any = None, as_: Identity | None = None, expect: Any = None
    ) -> tuple[int, Any]:
        """Calls ``apis/3.0{path}`` as ``as_`` (default: the admin)."""
        who = as_ or self.admin
        headers = {"Authorization": who.authorization, "clientId": who.client_id, "Accept": "application/json"}
        return self.request(method, self.api_url + path, body, headers, expect)

    # -- the console -------------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the fixtures: ``POST /__mock/reset`` (records, keys, journals, faults), then
        the configured soft mode and rate limit, and the profile's identity made afresh."""
        self.console("POST", "/reset")
        self._settle()

    def _settle(self) -> None:
        self.set_soft_mode(self.options.soft)
        self.console("PUT", "/rate-limit", self._rate_limit)
        if self._profile:
            self.integration = self.apply_profile(self._profile)
            # Making the identity is not the test's traffic: its journals start empty.
            self.clear_requests()
            self.clear_permission_journal()
        else:
            self.integration = None

    def make_key(self, member: str, description: str = "pytest", company: str | None = None) -> Identity:
        """An API key for ``member`` made with Save (the private key shown this once)."""
        company = company or self.company
        made = self.console(
            "POST",
            f"/companies/{_seg(company)}/members/{_seg(member)}/keys",
            {"description": description, "action": "save"},
            expect=201,
        )
        return Identity(company, made["publicKey"], made["privateKey"], self.client_id, member)

    def set_levels(self, role: str | int, levels: Mapping[str, Mapping[str, Any]], company: str | None = None) -> Any:
        """Sets levels of a role (id or name): ``{"Finance > Agreements": {"Add": "All"}}``;
        a ``"customize": [...]`` entry sets the row's Customize list."""
        path = f"/companies/{_seg(company or self.company)}/roles/{_seg(str(role))}/levels"
        return self.console("PUT", path, dict(levels))

    def role_levels(self, role: str | int, company: str | None = None) -> Any:
        """A role's levels as the console shows them."""
        return self.console("GET", f"/companies/{_seg(company or self.company)}/roles/{_seg(str(role))}/levels")

    def member_with_levels(
        self, identifier: str, levels: Mapping[str, Mapping[str, Any]], role: str | None = None
    ) -> Identity:
        """A new security role with exactly ``levels``, an API member holding it, and a key."""
        created = self.api("POST", "/system/securityroles", {"name": role or f"{identifier} role"}, expect=201)[1]
        self.set_levels(created["id"], levels)
        member = {"identifier": identifier, "name": identifier, "securityRole": {"id": created["id"]}}
        self.api("POST", "/system/apiMembers", member, expect=201)
        made = self.make_key(identifier)
        return Identity(made.company, made.public_key, made.private_key, made.client_id, identifier, created["id"])

    def apply_profile(self, profile: Profile | str | os.PathLike[str]) -> Identity:
        """What ``provisioner apply`` leaves on the mock: the profile's role with its levels, its
        API member holding it, and a key (Save). Answers the member's credentials."""
        p = profile if isinstance(profile, Profile) else load_profile(profile)
        return self.member_with_levels(p.member, p.levels(), role=p.role)

    @property
    def soft_mode(self) -> bool:
        """Whether soft mode is on (``GET /__mock/soft-mode``)."""
        return bool(self.console("GET", "/soft-mode")["softMode"])

    def set_soft_mode(self, on: bool) -> None:
        """Soft mode: nothing is refused for want of a level; every would-be refusal is journaled."""
        self.console("PUT", "/soft-mode", {"softMode": bool(on)})

    def permission_journal(self) -> Any:
        """Per member: every (function, action) its calls needed, and the minimal role."""
        return self.console("GET", "/permission-journal")

    def clear_permission_journal(self) -> None:
        """Empties the permission journal."""
        self.console("DELETE", "/permission-journal", expect=(200, 204))

    def exported_profile(self, member: str, company: str | None = None) -> str:
        """The least privilege ``member``'s journaled calls needed, as a profile file (TOML)
        that :meth:`apply_profile` and ``provisioner --profile`` read."""
        query = f"?company={urllib.parse.quote(company)}" if company else ""
        return self.console("GET", f"/permission-journal/{_seg(member)}/profile{query}")

    def requests(self, **filters: Any) -> list[Any]:
        """The request journal, newest first; filters: method, path, status, member, limit."""
        query = urllib.parse.urlencode({k: v for k, v in filters.items() if v is not None})
        return self.console("GET", f"/requests?{query}")["requests"]

    def clear_requests(self) -> None:
        """Empties the request journal."""
        self.console("DELETE", "/requests", expect=(200, 204))

    def add_fault(self, **rule: Any) -> int:
        """Adds a fault rule (``path``, ``action``, ``status``, ``times``... as in docs/mock.md)
        and answers its id. ``retry_after=2`` is sent as ``retryAfter``."""
        body = {_camel(k): v for k, v in rule.items()}
        return int(self.console("POST", "/faults", body, expect=201)["id"])

    def faults(self) -> list[Any]:
        """The fault rules in force."""
        return self.console("GET", "/faults")

    def remove_fault(self, rule_id: int | None = None) -> None:
        """Removes one fault rule, or all of them."""
        path = "/faults" if rule_id is None else f"/faults/{int(rule_id)}"
        self.console("DELETE", path, expect=(200, 204))

    def callback_deliveries(self, **filters: Any) -> list[Any]:
        """Callback deliveries the mock made (``GET /__mock/callbacks/deliveries``)."""
        query = urllib.parse.urlencode({_camel(k): v for k, v in filters.items() if v is not None})
        found = self.console("GET", f"/callbacks/deliveries?{query}")
        return found["deliveries"] if isinstance(found, dict) else found

    def wait_for_callbacks(self, timeout: float = 10.0, **filters: Any) -> Any:
        """Blocks until deliveries matching ``filters`` were made (``POST /__mock/callbacks/wait``
        with ``timeoutMs``); the mock waits, so this never polls."""
        body = {_camel(k): v for k, v in filters.items()} | {"timeoutMs": int(timeout * 1000)}
        found = self.console("POST", "/callbacks/wait", body)
        return found["deliveries"] if isinstance(found, dict) and "deliveries" in found else found


def _seg(value: str) -> str:
    return urllib.parse.quote(str(value), safe="")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)
