"""The control surface: the fake's second HTTP surface under `/_fakeserver/`. The control API
over the harness (`api`), the access gate in front of it (`access`), the limits, quota and clock
controls (`limits`, `limit_report`) and the dashboard page (`dashboard/`)."""
