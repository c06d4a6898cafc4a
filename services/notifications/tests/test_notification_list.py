import pytest

from common.testing import auth_header, make_access_token
from tests.events import new_id, order_confirmed, user_registered

pytestmark = pytest.mark.django_db


def test_a_user_sees_only_their_own_notifications(client, mailbox):
    mine, theirs = new_id(), new_id()
    user_registered(mine, "me@example.com", name="Me")
    order = new_id()
    order_confirmed(order, mine, "me@example.com")
    user_registered(theirs, "them@example.com", name="Them")

    response = client.get("/api/notifications/", **auth_header(make_access_token(user_id=mine)))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {"next", "previous"} <= body.keys()
    assert [n["kind"] for n in body["results"]] == ["order_confirmed", "welcome"]
    assert body["results"][0]["subject"] == f"Your order {order} is confirmed"
    assert set(body["results"][0]) == {"id", "kind", "subject", "created_at"}


def test_an_admin_also_sees_only_their_own(client, mailbox):
    user_registered(new_id(), "someone@example.com")

    response = client.get("/api/notifications/", **auth_header(make_access_token(role="admin")))

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_notifications_are_paginated(client, mailbox):
    user = new_id()
    for _ in range(3):
        order_confirmed(new_id(), user, "pat@example.com")

    response = client.get("/api/notifications/?page_size=2", **auth_header(make_access_token(user_id=user)))

    body = response.json()
    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"] is not None


def test_anonymous_gets_401(client):
    response = client.get("/api/notifications/")

    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_forged_token_gets_401(client):
    response = client.get("/api/notifications/", HTTP_AUTHORIZATION="Bearer not.a.token")

    assert response.status_code == 401
