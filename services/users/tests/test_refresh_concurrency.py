import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests.conftest import PASSWORD


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_refresh_token_used_concurrently_is_honoured_exactly_once():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises the writers, so there is no race to check")
    body = {"name": "Racer", "email": "racer@example.com", "password": PASSWORD}
    refresh = APIClient().post("/api/auth/register", body, format="json").json()["refresh"]
    attempts = 16
    barrier = threading.Barrier(attempts)
    statuses: list[int] = []

    def use_it():
        try:
            barrier.wait()
            statuses.append(
                APIClient().post("/api/auth/refresh", {"refresh": refresh}, format="json").status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=use_it) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == [200] + [401] * (attempts - 1)
