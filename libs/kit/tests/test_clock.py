"""The clock seam (junheng_kit.timeutil): tests and demos move "now" and "today (China)";
production never does."""

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import SecretStr, ValidationError

from junheng_kit.settings import ServiceSettings
from junheng_kit.testing.clock import Clock
from junheng_kit.timeutil import (
    china_today,
    current_shift,
    parse_clock_at,
    real_utcnow,
    shifted_clock,
    utcnow,
)

PRINT_TODAY = (
    "from junheng_kit.timeutil import china_today, utcnow; print(china_today(), utcnow().year)"
)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A fresh process, as a test starts a service: only the environment moves its clock."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("JUNHENG_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


class TestShiftedClock:
    def test_today_is_the_china_date_of_the_instant_and_the_clock_runs_on(self) -> None:
        """00:30 in Beijing is 16:30 UTC the day before: today (China) is the later date."""
        with shifted_clock("2026-11-09T00:30:00+08:00"):
            now = utcnow()
            assert china_today() == date(2026, 11, 9)
            assert now.date() == date(2026, 11, 8)
            assert abs(now - datetime(2026, 11, 8, 16, 30, tzinfo=UTC)) < timedelta(seconds=5)
            assert utcnow() >= now  # it runs: durations and leases behave as before
            assert abs(real_utcnow() - datetime.now(UTC)) < timedelta(seconds=5)
        assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)

    def test_the_fixture_moves_the_clock_and_puts_it_back(self, clock: Clock) -> None:
        clock.at("2025-09-30T09:00:00+08:00")
        assert clock.today() == date(2025, 9, 30)
        clock.at(datetime(2025, 10, 14, 1, 0, tzinfo=UTC))
        assert china_today() == date(2025, 10, 14)

    def test_after_the_fixture_the_clock_is_the_machines_again(self) -> None:
        assert current_shift() == timedelta(0)

    @pytest.mark.parametrize("text", ["2026-11-09", "2026-11-09T09:00:00", "next monday"])
    def test_an_instant_without_its_offset_is_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="an instant with its offset is needed"):
            parse_clock_at(text)


class TestOnlyInDevAndTest:
    SECRETS = {  # noqa: RUF012 - read only
        "secret_key": SecretStr("s3cret-from-vault"),
        "pseudonym_key": SecretStr("shared-pseudonym-key"),
    }

    def test_a_service_in_production_refuses_to_start_with_a_moved_clock(self) -> None:
        with pytest.raises(ValidationError, match="JUNHENG_CLOCK_AT moves the clock: only with"):
            ServiceSettings(
                environment="prod", clock_at="2026-11-09T09:00:00+08:00", **self.SECRETS
            )

    def test_a_service_in_test_or_dev_accepts_it(self) -> None:
        settings = ServiceSettings(
            environment="test", clock_at="2026-11-09T09:00:00+08:00", **self.SECRETS
        )
        assert settings.clock_at == "2026-11-09T09:00:00+08:00"

    def test_a_malformed_setting_is_refused_at_start(self) -> None:
        with pytest.raises(ValidationError, match="an instant with its offset is needed"):
            ServiceSettings(environment="dev", clock_at="2026-11-09")

    def test_load_settings_names_the_variable_in_one_line(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from junheng_kit.settings import load_settings

        monkeypatch.setenv("JUNHENG_ENV", "prod")
        monkeypatch.setenv("JUNHENG_CLOCK_AT", "2026-11-09T09:00:00+08:00")
        monkeypatch.setenv("SECRET_KEY", "s3cret-from-vault")
        monkeypatch.setenv("JUNHENG_PSEUDONYM_KEY", "shared-pseudonym-key")
        with pytest.raises(SystemExit) as stopped:
            load_settings(ServiceSettings)
        assert stopped.value.code == 2
        assert capsys.readouterr().err == (
            "service refuses to start: JUNHENG_CLOCK_AT moves the clock: only with "
            "JUNHENG_ENV=dev or test (JUNHENG_ENV=prod)\n"
        )


class TestProcesses:
    def test_a_process_started_with_the_variable_in_test_reads_the_moved_clock(self) -> None:
        done = run_python(
            PRINT_TODAY, JUNHENG_ENV="test", JUNHENG_CLOCK_AT="2026-11-09T00:30:00+08:00"
        )
        assert done.stdout.split() == ["2026-11-09", "2026"]
        assert "clock.shifted" in done.stderr

    def test_outside_dev_and_test_the_variable_is_ignored_and_said_so(self) -> None:
        """JUNHENG_ENV unset is production (the settings' default)."""
        done = run_python(PRINT_TODAY, JUNHENG_CLOCK_AT="1999-01-01T09:00:00+08:00")
        today, year = done.stdout.split()
        assert today != "1999-01-01"
        assert int(year) >= 2026
        assert "clock.setting_ignored" in done.stderr
