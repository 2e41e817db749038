import datetime as dt

import pytest

from moulin_sync.settings import DEMO_DIR, SettingsError, load_settings


def test_defaults_are_the_embedded_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("MOULIN_SOURCE_URL", "MOULIN_STATE_URL", "MOULIN_HISTORY_START"):
        monkeypatch.delenv(variable, raising=False)
    settings = load_settings()
    assert settings.source_url == f"sqlite:///{DEMO_DIR}/app_du_moulin.db"
    assert settings.state_url == f"sqlite:///{DEMO_DIR}/sync_state.db"
    assert settings.state_url != settings.source_url
    assert settings.history_start == dt.date(2019, 1, 1)
    assert settings.timezone == "Europe/Paris"
    assert settings.gdpr_erasure == "delete"
    assert settings.drift == "report"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOULIN_SOURCE_URL", "postgresql://app@db.internal:5432/moulin")
    monkeypatch.setenv("MOULIN_HISTORY_START", "2020-03-01")
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-secret-value")
    settings = load_settings()
    assert settings.source_url == "postgresql://app@db.internal:5432/moulin"
    assert settings.history_start == dt.date(2020, 3, 1)
    assert settings.hubspot_access_token is not None
    assert "pat-secret-value" not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("MOULIN_SOURCE_URL", "not a url", "not a database URL"),
        ("MOULIN_STATE_URL", "mysql://root@localhost/x", "unsupported database 'mysql'"),
        ("MOULIN_HISTORY_START", "2019-01-15", "first day of a month"),
        ("MOULIN_HISTORY_START", "yesterday", "MOULIN_HISTORY_START"),
        ("HUBSPOT_TIER", "platinum", "HUBSPOT_TIER"),
        ("MOULIN_GDPR_ERASURE", "forget", "'delete', 'archive' or 'ignore'"),
        ("MOULIN_DRIFT", "overwrite", "'report' or 'restore'"),
        ("MOULIN_NIGHTLY_CRON", "at two", "not a cron string"),
        ("MOULIN_NIGHTLY_CRON", "0 25 * * *", "not a cron string"),
    ],
)
def test_a_bad_variable_is_named_with_its_fix(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{variable}:")
    assert expected in message
    assert f"Fix the environment variable {variable}" in message


def test_errors_never_echo_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOULIN_STATE_URL", "oracle://scott:tiger-secret@db/x")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "tiger-secret" not in str(caught.value)
    assert "MOULIN_STATE_URL" in str(caught.value)


def test_the_nightly_time_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().nightly_cron == "0 2 * * *"
    monkeypatch.setenv("MOULIN_NIGHTLY_CRON", "30 1 * * *")
    assert load_settings().nightly_cron == "30 1 * * *"
