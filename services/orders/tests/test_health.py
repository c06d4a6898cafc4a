import pytest


@pytest.mark.django_db
def test_health_reports_up_with_database_connected(client):
    response = client.get("/api/orders/health")

    assert response.status_code == 200
    assert response.json() == {"status": "UP", "service": "orders-service", "db": "CONNECTED"}
