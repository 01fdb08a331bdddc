"""mock-connectwise for Python: the mock ConnectWise Manage server as a process you start from
tests, and the pytest plugin around it.

- :func:`find_binary` finds the ``mock-connectwise`` executable (the one this package installed,
  ``MOCK_CONNECTWISE_BIN``, or ``PATH``).
- :class:`ConnectWiseMock` starts one on ``127.0.0.1:0``, reads the ``CW_*`` settings it prints,
  and wraps the mock console (``/__mock``): reset, API keys, role levels, soft mode, the
  permission journal, the request journal, faults, callback deliveries.
- :mod:`mock_connectwise.pytest_plugin` (loaded by pytest through the ``pytest11`` entry point)
  gives the ``connectwise_mock`` fixture and the ``connectwise_mock_factory`` fixture.

See docs/python.md in the repository.
"""

from ._binary import BinaryNotFound, find_binary
from ._mock import ConnectWiseMock, Identity, MockError, MockOptions

__all__ = [
    "BinaryNotFound",
    "ConnectWiseMock",
    "Identity",
    "MockError",
    "MockOptions",
    "find_binary",
]
