"""A live dashboard of the fake's state at /_fakeserver/ui (see routes.py)."""

from fakeserver.control.dashboard.routes import PAGE_PATH, PAGES, dashboard_routes

__all__ = ["PAGES", "PAGE_PATH", "dashboard_routes"]
