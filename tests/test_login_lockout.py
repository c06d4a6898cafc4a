"""CONTRACT: wrong credentials 401; repeated failures for one email or IP: 429 with Retry-After.

Marked `last`: the failures also count against this machine's IP for the rest of the window.
"""

import pytest


@pytest.mark.last
def test_wrong_credentials_then_lockout(api, customer):
    wrong = {"email": customer["email"], "password": "not-the-password-1"}
    first = api.post("/api/auth/login", json=wrong)
    assert first.status_code == 401
    assert "detail" in first.json()

    statuses = []
    while len(statuses) < 30 and 429 not in statuses:
        statuses.append(api.post("/api/auth/login", json=wrong).status_code)
    assert statuses[-1] == 429, statuses
    assert set(statuses) <= {401, 429}
    limited = api.post("/api/auth/login", json=wrong)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "detail" in limited.json()
