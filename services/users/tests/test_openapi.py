def test_the_users_schema_documents_the_auth_calls_and_bearer_tokens(client):
    response = client.get("/api/users/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    for path in ("/api/auth/register", "/api/auth/login", "/api/auth/refresh", "/api/users/profile"):
        assert any(documented.rstrip("/") == path for documented in schema["paths"]), path
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"


def test_the_users_docs_page_is_served(client):
    assert client.get("/api/users/docs/").status_code == 200
