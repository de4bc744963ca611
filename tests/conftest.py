"""Shared test configuration.

dcgan is imported first so that dcgan.compat patches NumPy before any test
module (or plugin) imports Chainer directly; warning filters for Chainer's
import-time noise live in pytest.ini.
"""
import dcgan  # noqa: F401
