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


def test_supervisor_home_links_to_the_cohorts_training_days(client, make_user, make_cohort, assign_supervisor, login):
    supervisor = make_user("supervisor")
    trainee = make_user("trainee", full_name="Elena Sántiz")
    cohort = make_cohort(name="PAP Reforma", members={"supervisor": [supervisor], "trainee": [trainee]})
    assign_supervisor(supervisor, trainee, cohort)
    login(supervisor)
    html = client.get("/").get_data(as_text=True)
    assert "Elena Sántiz" in html and "Cohorts I supervise" in html
    assert f'href="/cohorts/{cohort.id}/days"' in html
    assert client.get(f"/cohorts/{cohort.id}/days").status_code == 200
