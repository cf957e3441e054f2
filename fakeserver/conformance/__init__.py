"""Checking the fake against a real PostHog: `fakeserver verify` and `fakeserver snapshot`.

A face of the package, beside the CLI: it talks to a target over HTTP (`client`), reads its
conversations into a fixture (`snapshot`), runs one fixed scenario against the target and a fake
seeded from that snapshot (`scenario`, `verify`), compares the answers by shape (`compare`) and
reports (`report`). Nothing else in the package imports it.
"""
