"""Our settings are kept once read: they must still follow every change Django announces."""

from __future__ import annotations

from django.test import override_settings

from axes_redis.conf import DEFAULT_KEY_PREFIX, axes_redis_settings


def test_a_value_read_before_override_settings_is_not_served_after_it():
    """A test (or a runtime override) changing the prefix must not keep writing the old keys."""
    assert axes_redis_settings.key_prefix == DEFAULT_KEY_PREFIX
    with override_settings(AXES_REDIS_KEY_PREFIX="site-2"):
        assert axes_redis_settings.key_prefix == "site-2"
    assert axes_redis_settings.key_prefix == DEFAULT_KEY_PREFIX


def test_other_settings_changing_keeps_what_was_read():
    """Only AXES_ settings clear what was read; the value stays correct either way."""
    with override_settings(AXES_REDIS_FAIL_OPEN=True):
        assert axes_redis_settings.fail_open is True
        with override_settings(LANGUAGE_CODE="fr"):
            assert axes_redis_settings.fail_open is True
    assert axes_redis_settings.fail_open is False


class _ChangedWhileRead:
    """A setting value whose conversion sees the setting change under it (another thread)."""

    def __init__(self) -> None:
        self.conversions = 0

    def __int__(self) -> int:
        self.conversions += 1
        axes_redis_settings.forget(setting="AXES_REDIS_TRAIL_MAXLEN")
        return 7


def test_a_value_read_while_the_setting_changes_is_not_kept():
    """A read racing with a change must not store the old value for good."""
    value = _ChangedWhileRead()
    with override_settings(AXES_REDIS_TRAIL_MAXLEN=value):
        assert axes_redis_settings.trail_maxlen == 7
        assert axes_redis_settings.trail_maxlen == 7
    assert value.conversions == 2
