"""The local stack behind manage_all.py: service registry, broker, test runner, supervisor."""
