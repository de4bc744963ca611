"""The training command end to end, a few iterations on tiny nets."""
import json
import os

import chainer
import numpy
import pytest
from PIL import Image

from dcgan.cli import train

TINY = ['--ch', '16', '--n_hidden', '8', '--batchsize', '8', '--demo_images', '24',
        '--display_interval', '5', '--no-progress-bar', '--preview_rows', '2',
        '--preview_cols', '3', '--no-walk-gif', '--no-progress-gif']


def run(tmp_path, *extra, out='out'):
    return train.main(TINY + ['--out', str(tmp_path / out)] + list(extra))


def npz(path):
    with numpy.load(str(path)) as f:
        return {k: f[k] for k in f.files}


def build(args):
    """What train.run builds before the trainer: (gen, dis, updater, stop)."""
    folder = train.load_training_images(args)
    gen, dis = train.build_models(args, folder, train.use_device(args.device))
    stop = train.stop_iteration(args, len(folder.images))
    return gen, dis, train.build_updater(args, gen, dis, folder, gen.device, stop), stop


def test_few_iterations_write_every_output(tmp_path, capsys):
    assert run(tmp_path, '--iteration', '5', '--snapshot_interval', '4') == 0
    out = tmp_path / 'out'
    for name in ('snapshot_iter_4.npz', 'snapshot_iter_5.npz', 'gen_iter_4.npz',
                 'gen_iter_5.npz', 'dis_iter_5.npz', 'log', 'loss.png', 'config.json',
                 'preview/image00000004.png', 'preview/image00000005.png'):
        assert (out / name).is_file(), name
    grid = Image.open(out / 'preview' / 'image00000005.png')
    assert grid.size == (3 * 32, 2 * 32)
    log = json.loads((out / 'log').read_text())
    assert {'gen/loss', 'dis/loss', 'dis/real', 'dis/fake'} <= set(log[-1])
    config = json.loads((out / 'config.json').read_text())
    assert config['gen']['bottom_width'] == 4 and config['gen']['n_hidden'] == 8
    printed = capsys.readouterr().out
    assert 'bottom_width 4' in printed and 'Parameters: generator' in printed


def test_rerun_resumes_and_matches_an_uninterrupted_run(tmp_path, capsys):
    # 24 images in batches of 8: 3 iterations an epoch, so resuming at 4 crosses epochs.
    assert run(tmp_path, '--iteration', '7', '--snapshot_interval', '100', out='straight') == 0
    assert run(tmp_path, '--iteration', '4', '--snapshot_interval', '100', out='split') == 0
    assert run(tmp_path, '--iteration', '7', '--snapshot_interval', '100', out='split') == 0
    assert 'Resuming from' in capsys.readouterr().out
    for name in ('gen_iter_7.npz', 'dis_iter_7.npz'):
        a, b = npz(tmp_path / 'straight' / name), npz(tmp_path / 'split' / name)
        assert a.keys() == b.keys()
        for k in a:
            numpy.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_explicit_resume_and_a_mismatched_snapshot(tmp_path, capsys):
    assert run(tmp_path, '--iteration', '2', out='a') == 0
    snap = str(tmp_path / 'a' / 'snapshot_iter_2.npz')
    assert run(tmp_path, '--iteration', '3', '--resume', snap, out='b') == 0
    assert (tmp_path / 'b' / 'gen_iter_3.npz').is_file()
    capsys.readouterr()
    with pytest.raises(SystemExit):
        train.main(TINY[2:] + ['--ch', '32', '--n_hidden', '8', '--iteration', '3',
                               '--resume', snap, '--out', str(tmp_path / 'c')])
    err = capsys.readouterr().err
    assert 'snapshot_iter_2.npz does not match this run' in err
    assert 'Traceback' not in err


def test_truncated_snapshot_is_named(tmp_path, capsys):
    assert run(tmp_path, '--iteration', '2', out='a') == 0
    snap = tmp_path / 'a' / 'snapshot_iter_2.npz'
    data = snap.read_bytes()
    bad = tmp_path / 'bad.npz'
    bad.write_bytes(data[:len(data) // 2])
    with pytest.raises(SystemExit):
        run(tmp_path, '--iteration', '3', '--resume', str(bad), out='b')
    assert 'bad.npz is not a readable snapshot' in capsys.readouterr().err


def test_changed_architecture_in_the_same_folder_is_refused(tmp_path, capsys):
    assert run(tmp_path, '--iteration', '2', out='a') == 0
    capsys.readouterr()
    with pytest.raises(SystemExit):
        train.main(TINY[2:] + ['--ch', '32', '--n_hidden', '8', '--iteration', '3',
                               '--out', str(tmp_path / 'a')])
    err = capsys.readouterr().err
    assert 'other network settings (gen ' in err and '--no-auto-resume' in err
    assert (tmp_path / 'a' / 'snapshot_iter_2.npz').is_file()


def test_resuming_with_the_preset_a_run_made_with_the_examples_d_noise_names_it(tmp_path, capsys):
    # --small-data turns D's noise off; a run made with the example's 0.2
    # (e.g. under an earlier preset) is not silently continued without it.
    assert run(tmp_path, '--iteration', '2', '--ema', '0.999', out='a') == 0
    capsys.readouterr()
    with pytest.raises(SystemExit):
        run(tmp_path, '--iteration', '3', '--small-data', out='a')
    err = capsys.readouterr().err
    assert 'noise_sigma=0.2 now 0.0' in err and 'config.json' in err
    assert run(tmp_path, '--iteration', '3', '--small-data', '--dis_noise', '0.2',
               '--upsample', 'deconv', out='a') == 0
    assert (tmp_path / 'a' / 'snapshot_iter_3.npz').is_file()


def test_resuming_with_the_preset_a_run_made_before_it_up_sampled_names_the_flag(
        tmp_path, capsys):
    # The preset before 2026-12-02 kept the example's deconvolutions; its
    # config.json has no 'upsample' entry. Today's --small-data says so
    # instead of failing on the weights' shapes.
    assert run(tmp_path, '--iteration', '2', '--small-data', '--upsample', 'deconv',
               out='a') == 0
    config = json.loads((tmp_path / 'a' / 'config.json').read_text())
    assert 'upsample' not in config['gen']
    capsys.readouterr()
    with pytest.raises(SystemExit):
        run(tmp_path, '--iteration', '3', '--small-data', out='a')
    assert 'upsample=deconv now nearest' in capsys.readouterr().err
    assert run(tmp_path, '--iteration', '3', '--small-data', '--upsample', 'deconv',
               out='a') == 0


def _folder(tmp_path, sizes, name='imgs'):
    folder = tmp_path / name
    folder.mkdir()
    rs = numpy.random.RandomState(0)
    for i, size in enumerate(sizes):
        pixels = rs.randint(0, 256, (size, size, 4)).astype(numpy.uint8)
        Image.fromarray(pixels, 'RGBA').save(folder / ('img%02d.png' % i))
    return folder


def test_trains_on_a_folder_of_rgba_cutouts(tmp_path):
    folder = _folder(tmp_path, [24] * 5 + [40] * 5)
    assert run(tmp_path, '--dataset', str(folder), '--resolution', '16', '--iteration', '2',
               '--background', 'white', '--flip', '--channels', '1') == 0
    config = json.loads((tmp_path / 'out' / 'config.json').read_text())
    assert config['data'] == {'images': 10, 'skipped': 0, 'resolution': 16, 'channels': 1}


@pytest.mark.parametrize('args, message', [
    (['--dataset', 'NOFOLDER'], 'NOFOLDER'),
    (['--resolution', '30'], '--resolution'),
    (['--batchsize', '100'], '--batchsize 100 is larger than the 24'),
    (['--gpu', '0'], 'pip install'),
    (['--background', 'mauve'], 'mauve'),
])
def test_bad_input_gets_one_sentence(tmp_path, capsys, args, message):
    if args[:2] == ['--gpu', '0'] and chainer.backends.cuda.available:
        pytest.skip('a GPU is present')
    with pytest.raises(SystemExit):
        run(tmp_path, '--iteration', '1', *args)
    err = capsys.readouterr().err
    assert message in err
    assert 'Traceback' not in err and err.count('\n') <= 2


def test_mixed_sizes_without_resolution_asks_for_it(tmp_path, capsys):
    folder = _folder(tmp_path, [24, 40])
    with pytest.raises(SystemExit):
        run(tmp_path, '--dataset', str(folder), '--iteration', '1', '--batchsize', '2')
    assert '--resolution' in capsys.readouterr().err


def test_impossible_flag_values_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        run(tmp_path, '--batchsize', '0')
    assert '--batchsize' in capsys.readouterr().err
    assert not os.path.exists(tmp_path / 'out')


def test_learning_rates_and_d_noise_reach_the_nets_and_the_preset_may_set_them(tmp_path):
    from dcgan.cli.stabiliser_options import SMALL_DATA_PRESET
    preset_noise = SMALL_DATA_PRESET.get('dis_noise', 0.2)
    cases = [([], 0.2), (['--small-data'], preset_noise),
             (['--small-data', '--dis_noise', '0.05'], 0.05)]
    for flags, noise in cases:
        args = train.parse_arguments(TINY + ['--out', str(tmp_path), '--lr_gen', '5e-4',
                                             '--lr_dis', '3e-4'] + flags)
        dis, updater = build(args)[1:3]
        assert dis.noise_sigma == noise, flags
        assert updater.get_optimizer('dis').alpha == 3e-4, flags
        assert updater.get_optimizer('gen').alpha == 5e-4, flags


def test_lr_decay_reaches_training_and_ends_where_the_run_ends(tmp_path):
    # 24 images in batches of 8: --epoch 2 is 6 iterations (rounded up if uneven).
    parse = train.parse_arguments
    assert train.stop_iteration(parse(['--epoch', '2', '--batchsize', '8']), 24) == 6
    assert train.stop_iteration(parse(['--epoch', '1', '--batchsize', '10']), 24) == 3
    assert train.stop_iteration(parse(['--iteration', '5']), 24) == 5
    # Decayed over the whole of a 2-iteration run, the second update takes
    # half a step, so its weights differ from those of a run without decay.
    assert run(tmp_path, '--iteration', '2', out='plain') == 0
    assert run(tmp_path, '--iteration', '2', '--lr-decay', '1', out='decayed') == 0
    config = json.loads((tmp_path / 'decayed' / 'config.json').read_text())
    assert config['args']['lr_decay'] == 1.0
    plain = npz(tmp_path / 'plain' / 'gen_iter_2.npz')
    decayed = npz(tmp_path / 'decayed' / 'gen_iter_2.npz')
    assert any(not numpy.array_equal(plain[k], decayed[k]) for k in plain)


def test_instance_noise_decays_over_the_run_whether_iterations_or_epochs(tmp_path):
    # 24 demo images in batches of 8: --epoch 2 ends at iteration 6.
    cases = [(['--iteration', '10'], 10), (['--epoch', '2'], 6),
             (['--epoch', '2', '--instance-noise-iterations', '4'], 4)]
    for flags, decay in cases:
        args = train.parse_arguments(TINY + ['--out', str(tmp_path), '--instance-noise', '0.2']
                                     + flags)
        _, _, updater, stop = build(args)
        assert updater.instance_noise == 0.2, flags
        assert updater.instance_noise_iterations == decay, flags
        assert stop == (10 if '--iteration' in flags else 6), flags


def test_resuming_with_other_training_settings_says_which(tmp_path, capsys):
    # A resume that forgets --ema (or --small-data) drops the EMA generator:
    # training goes on, but the user is told what changed against config.json.
    assert run(tmp_path, '--iteration', '2', '--ema', '0.9', '--lr_gen', '3e-4') == 0
    capsys.readouterr()
    assert run(tmp_path, '--iteration', '4', '--lr_gen', '3e-4') == 0
    printed = capsys.readouterr().out
    assert 'Resuming from' in printed and 'ema 0.9 -> 0.0' in printed
    assert 'lr_gen' not in printed
    assert run(tmp_path, '--iteration', '6', '--lr_gen', '3e-4') == 0
    assert 'Note:' not in capsys.readouterr().out


def test_the_summary_names_the_stabilisers_a_run_uses(tmp_path, capsys):
    assert run(tmp_path, '--iteration', '1', out='plain') == 0
    assert "# Stabilisers: none (the example's training)" in capsys.readouterr().out
    assert run(tmp_path, '--iteration', '1', '--small-data', '--augment', 'color,cutout',
               out='preset') == 0
    out = capsys.readouterr().out
    line = [x for x in out.splitlines() if x.startswith('# Stabilisers:')][0]
    for flag in ('--augment color,cutout', '--ema 0.999', '--ema-warmup 40',
                 '--instance-noise 0.2', '--dis_noise 0', 'from --small-data'):
        assert flag in line, (flag, line)
    # An explicit --augment replaces the preset's adaptive augmentation.
    assert '--ada;' not in line and '--aug-ops' not in line
