"""Validation suite: closed-form checks of each mechanism, and the calibration target test.

Fast checks run with ``make test``; the slow ones (the full china-2019 calibration run) are marked
``slow`` (see tests/conftest.py) and run with ``make test-slow``.
"""
