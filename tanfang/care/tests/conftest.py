"""The records tests' paired visitor and elder, for the follow-up tests."""

from tanfang.records.tests.conftest import Setting, paired  # noqa: F401 - a fixture, shared
