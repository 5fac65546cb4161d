"""Checks of a built warehouse: Great Expectations suites on the marts and the privacy scan."""
