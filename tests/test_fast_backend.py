"""The switch for the optional compiled kernels (dcgan/ops/fast_backend.py)."""
import os
import platform
import sys

import pytest

from dcgan.ops import fast_backend


def test_the_switch_follows_the_environment_and_code_wins(monkeypatch):
    with fast_backend.use_fast_backend(True):  # puts the setting back after
        fast_backend._ENABLED[0] = None  # follow the environment
        for value, expected in (('0', False), ('off', False), ('1', True), ('', True)):
            monkeypatch.setenv(fast_backend.ENV, value)
            assert fast_backend.enabled() is expected, value
        monkeypatch.setenv(fast_backend.ENV, '0')
        with fast_backend.use_fast_backend(True):
            assert fast_backend.enabled()
        assert not fast_backend.enabled()


def test_status_names_every_kernel_module():
    report = fast_backend.status()
    assert set(report) == set(fast_backend.KERNEL_MODULES)
    for name, text in report.items():
        assert text in ('on', 'off (switch)') or text.startswith('absent: '), (name, text)


@pytest.mark.skipif(os.environ.get('DCGAN_TEST_REQUIRE_FAST') != '1',
                    reason='set DCGAN_TEST_REQUIRE_FAST=1 (.ci/run does) to require the fast extra')
def test_ci_has_the_fast_kernels_loaded():
    # .ci/run installs the `fast` extra through dev.py; a kernel that did not
    # load would silently leave the fast path untested.
    report = fast_backend.status()
    assert report['numba_kernels'] == 'on', report
    if sys.platform == 'linux' and platform.machine() == 'x86_64':
        assert report['onednn'] == 'on', report
