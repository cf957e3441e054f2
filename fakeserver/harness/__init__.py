"""The test harness: what tests use to watch and steer the fake from inside it. Namespaces, the
request journal (`journal`, `recorder`, `operations` for near-miss diagnosis), fault rules and
their injection, and the request log."""
