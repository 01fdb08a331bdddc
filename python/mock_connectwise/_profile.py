"""An integration profile file (``features/profiles/*.toml``, or one exported from a soft-mode
run) read far enough to apply it: the role's name, the API member, and each row's levels.

The mock checks every function name and level when they are set (an unknown one is a 400 naming
it), so this reader only checks the file's shape.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - older interpreters
    import tomli as tomllib

ACTIONS = ("add", "edit", "delete", "inquire")


@dataclass(frozen=True)
class Profile:
    """What applying a profile needs from its file."""

    name: str
    role: str
    member: str
    rows: tuple[dict[str, Any], ...]

    def levels(self) -> dict[str, dict[str, Any]]:
        """The levels document the console's ``PUT .../roles/{role}/levels`` takes: every action
        of every row (an omitted level is ``None``, as in the provisioner), and Customize lists."""
        doc: dict[str, dict[str, Any]] = {}
        for row in self.rows:
            cols: dict[str, Any] = {a.title(): row.get(a, "None") for a in ACTIONS}
            if "customize" in row:
                cols["customize"] = list(row["customize"])
            doc[row["function"]] = cols
        return doc


class ProfileError(ValueError):
    """A profile file that cannot be applied."""


def load_profile(source: str | os.PathLike[str]) -> Profile:
    """Reads a profile from a file path, or from TOML text (a string holding a newline)."""
    if isinstance(source, str) and "\n" in source:
        where, text = "the profile text", source
    else:
        path = Path(source)
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise ProfileError(f"cannot read profile {where}: {e}") from e
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"{where}: not TOML: {e}") from e
    member = doc.get("member", {})
    rows = doc.get("rows", [])
    if not isinstance(member, dict) or not isinstance(member.get("identifier"), str):
        raise ProfileError(f"{where}: [member] needs an identifier")
    if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get("function"), str) for r in rows):
        raise ProfileError(f"{where}: every [[rows]] entry needs a function")
    name = str(doc.get("name", member["identifier"]))
    role = doc.get("role")
    if not isinstance(role, str) or not role:
        raise ProfileError(f"{where}: the profile names no role")
    return Profile(name=name, role=role, member=member["identifier"], rows=tuple(rows))
