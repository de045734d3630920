from tests.test_statement_counts import generate, page_statements, SMALL, LARGE  # noqa

def test_scratch(app, db_session):
    small = generate(db_session, SMALL, seed=11)
    a = page_statements(app, small["known"])
    large = generate(db_session, LARGE, seed=12, tag="-large")
    b = page_statements(app, large["known"])
    for name in ["supervisor home", "cohort dashboard"]:
        print("=====", name)
        import difflib
        for line in difflib.unified_diff([x[:150] for x in a[name]], [x[:150] for x in b[name]], lineterm="", n=1):
            print(line)
