"""What tests use to watch and steer the fake: namespaces, the request journal and operation
matching, fault rules and their injection, and the control API that exposes them over HTTP."""
