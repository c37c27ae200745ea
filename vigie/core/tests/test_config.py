from pathlib import Path

import pytest

from vigie.config import ConfigError, load


def test_defaults_need_no_variable():
    cfg = load({})
    assert cfg["DATABASE_URL"] == ""
    assert cfg["DATA_DIR"] == Path("var").resolve()
    assert cfg["PAGE_SIZE"] == 50


def test_unknown_key_is_refused_and_named():
    with pytest.raises(ConfigError, match="VIGIE_DATABSE_URL"):
        load({"VIGIE_DATABSE_URL": "postgresql://x"})


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("VIGIE_PAGE_SIZE", "0", "between 1 and 1000"),
        ("VIGIE_PAGE_SIZE", "lots", "invalid literal"),
        ("VIGIE_DEBUG", "maybe", "boolean"),
        ("VIGIE_DATABASE_URL", "mysql://x", "postgresql"),
        ("VIGIE_LOG_LEVEL", "CHATTY", "one of"),
    ],
)
def test_values_are_checked(key, value, message):
    with pytest.raises(ConfigError, match=message):
        load({key: value})


def test_other_variables_are_ignored():
    assert load({"PATH": "/bin", "DJANGO_X": "1"})["DEBUG"] is False


def test_ui_is_french_whatever_the_browser_asks(client, db):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert page.status_code == 200
    assert 'lang="fr"' in page.content.decode()
    client.cookies["django_language"] = "en"
    assert 'lang="en"' in client.get("/login/").content.decode()
