"""Bounded disk use: only the newest --keep-snapshots trainer snapshots stay."""
import os

import numpy
import pytest

from dcgan.cli import train, walk
from dcgan.extensions.snapshot import TrainerSnapshot, snapshot_files, stale_snapshots
from tests.test_cli_train import TINY, npz


def run(tmp_path, *extra, out='out'):
    return train.main(TINY + ['--out', str(tmp_path / out), '--snapshot_interval', '1']
                      + list(extra))


def snapshots(folder):
    return sorted(n for n in os.listdir(str(folder)) if n.startswith('snapshot_iter_'))


def test_snapshots_every_iteration_keep_the_newest_and_resume_from_it(tmp_path, capsys):
    assert run(tmp_path, '--iteration', '5', '--keep-snapshots', '2', out='kept') == 0
    out = tmp_path / 'kept'
    assert snapshots(out) == ['snapshot_iter_4.npz', 'snapshot_iter_5.npz']
    # The example's generator and discriminator files are all kept.
    for it in range(1, 6):
        assert (out / 'gen_iter_{}.npz'.format(it)).is_file()
        assert (out / 'dis_iter_{}.npz'.format(it)).is_file()
    assert 'the newest 2 snapshot_iter_N.npz kept' in capsys.readouterr().out

    # The newest loads and continues: 5 + 2 iterations equal 7 in one go.
    assert run(tmp_path, '--iteration', '7', '--keep-snapshots', '2', out='kept') == 0
    assert 'Resuming from {}'.format(out / 'snapshot_iter_5.npz') in capsys.readouterr().out
    assert snapshots(out) == ['snapshot_iter_6.npz', 'snapshot_iter_7.npz']
    assert run(tmp_path, '--iteration', '7', '--keep-snapshots', 'all', out='straight') == 0
    a, b = npz(out / 'gen_iter_7.npz'), npz(tmp_path / 'straight' / 'gen_iter_7.npz')
    for k in a:
        numpy.testing.assert_array_equal(a[k], b[k], err_msg=k)

    # walk.py --gen FOLDER still finds the newest generator there.
    assert walk.main(['--gen', str(out), '-k', '2', '-f', '2', '--scale', '1']) == 0
    assert (out / 'walk.gif').is_file()


def test_the_default_keeps_three_and_all_keeps_every_one(tmp_path, capsys):
    assert run(tmp_path, '--iteration', '5', out='default') == 0
    assert snapshots(tmp_path / 'default') == ['snapshot_iter_{}.npz'.format(i) for i in (3, 4, 5)]
    assert run(tmp_path, '--iteration', '5', '--keep-snapshots', 'all', out='all') == 0
    assert len(snapshots(tmp_path / 'all')) == 5
    assert 'every snapshot_iter_N.npz kept' in capsys.readouterr().out
    assert run(tmp_path, '--iteration', '3', '--keep-snapshots', '0', out='zero') == 0
    assert len(snapshots(tmp_path / 'zero')) == 3


@pytest.mark.parametrize('value', ['-1', 'some', '2.5'])
def test_an_impossible_count_is_refused_with_the_flag(tmp_path, capsys, value):
    with pytest.raises(SystemExit):
        run(tmp_path, '--iteration', '1', '--keep-snapshots', value)
    err = capsys.readouterr().err
    assert '--keep-snapshots' in err and 'all' in err and 'Traceback' not in err
    with pytest.raises(ValueError):
        TrainerSnapshot(keep=-1)


def touch(folder, *names):
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b'')


def test_only_older_complete_snapshots_are_stale(tmp_path):
    touch(tmp_path, 'snapshot_iter_2.npz', 'snapshot_iter_10.npz', 'snapshot_iter_9.npz',
          'snapshot_iter_30.npz', 'gen_iter_2.npz', 'snapshot_iter_5.npz.tmp', 'notes.txt')
    # A half-written file (Chainer writes into a temporary folder first).
    (tmp_path / 'tmpsnapshot_iter_11.npzabc').mkdir()
    assert [it for it, _ in snapshot_files(str(tmp_path))] == [2, 9, 10, 30]
    # Just written: 10. Ordered by iteration, not by name or time; 30 (from
    # a run resumed at an earlier snapshot) is newer than 10 and left alone.
    stale = stale_snapshots(str(tmp_path), 10, keep=2)
    assert [os.path.basename(p) for p in stale] == ['snapshot_iter_2.npz']
    assert stale_snapshots(str(tmp_path), 10, keep=3) == []
    assert stale_snapshots(str(tmp_path), 10, keep=None) == []
    assert snapshot_files(str(tmp_path / 'missing')) == []


def test_auto_resume_skips_a_truncated_newest_snapshot(tmp_path, capsys):
    assert run(tmp_path, '--iteration', '3') == 0
    out = tmp_path / 'out'
    newest = out / 'snapshot_iter_3.npz'
    data = newest.read_bytes()
    newest.write_bytes(data[:len(data) // 2])
    capsys.readouterr()
    assert run(tmp_path, '--iteration', '4') == 0
    captured = capsys.readouterr()
    assert 'snapshot_iter_3.npz is not a readable snapshot' in captured.err
    assert 'Resuming from {} (iteration 2)'.format(out / 'snapshot_iter_2.npz') in captured.out
    assert (out / 'gen_iter_4.npz').is_file()


def test_no_readable_snapshot_is_one_sentence(tmp_path, capsys):
    assert run(tmp_path, '--iteration', '1') == 0
    (tmp_path / 'out' / 'snapshot_iter_1.npz').write_bytes(b'not a zip')
    with pytest.raises(SystemExit):
        run(tmp_path, '--iteration', '2')
    err = capsys.readouterr().err
    assert 'none of the 1 snapshot_iter_N.npz' in err and '--no-auto-resume' in err
    assert 'Traceback' not in err
