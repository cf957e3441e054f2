"""`FakeServer`: the fake as a Python object, in-process or live (see fake_server.py)."""

from fakeserver.server.clients import CSRF_TOKEN, IN_PROCESS_URL
from fakeserver.server.fake_server import FakeServer

__all__ = ["CSRF_TOKEN", "IN_PROCESS_URL", "FakeServer"]
