def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"
    assert response.json["version"]


def test_login_then_home_shows_name(client, make_user, login):
    user = make_user("trainee", full_name="Rosa Vázquez")
    login(user)
    page = client.get("/")
    assert page.status_code == 200
    assert "Rosa Vázquez" in page.get_data(as_text=True)
