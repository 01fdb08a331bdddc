"""Where the ``mock-connectwise`` executable is: an explicit path, ``MOCK_CONNECTWISE_BIN``, the
scripts directory of this interpreter's environment (where the wheel put it, even when the venv
is not activated), then ``PATH``."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

ENV_VAR = "MOCK_CONNECTWISE_BIN"
EXE = "mock-connectwise" + (".exe" if sys.platform == "win32" else "")


class BinaryNotFound(RuntimeError):
    """No ``mock-connectwise`` executable could be found."""


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_binary(explicit: str | os.PathLike[str] | None = None) -> str:
    """The path of the executable to run.

    ``explicit`` (a pytest option) wins, then ``MOCK_CONNECTWISE_BIN``; either must name an
    executable file, or this raises rather than silently running another one.
    """
    for source, value in (("the given path", explicit), (ENV_VAR, os.environ.get(ENV_VAR))):
        if value:
            path = Path(value).expanduser()
            if not _executable(path):
                raise BinaryNotFound(f"{source} names {path}, which is not an executable file")
            return str(path)
    candidates = []
    for scheme_key in ("scripts",):
        try:
            candidates.append(Path(sysconfig.get_path(scheme_key)) / EXE)
        except KeyError:
            pass
    # The user scheme (pip install --user) puts scripts elsewhere.
    try:
        candidates.append(Path(sysconfig.get_path("scripts", f"{os.name}_user")) / EXE)
    except KeyError:
        pass
    candidates.append(Path(sys.executable).parent / EXE)
    for path in candidates:
        if _executable(path):
            return str(path)
    found = shutil.which(EXE)
    if found:
        return found
    raise BinaryNotFound(
        f"cannot find {EXE}: install this package with pip (it ships the binary), "
        f"set {ENV_VAR}, or put it on PATH (cargo build -p mock-connectwise)"
    )
