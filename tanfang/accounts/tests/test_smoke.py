def test_home_page_shows_the_officers_county(officer_county_north, as_user):
    # when
    response = as_user(officer_county_north).get("/")

    # then
    assert response.status_code == 200
    assert "武陟县" in response.content.decode()
