"""pix2pix: paired data, U-Net and PatchGAN, the updater, resume, extensions."""
import json
import os
import warnings

import chainer
import numpy
import pytest
from chainer import training
from PIL import Image

import dcgan  # noqa: F401
from dcgan.data import DatasetError, make_input, pairs
from dcgan.evaluation import paired
from dcgan.extensions.pair_grid import PairGrid
from dcgan.extensions.paired_report import PairedReport
from dcgan.models.nets import ArchitectureError
from dcgan.models.patchgan import PatchDiscriminator, map_size
from dcgan.models.unet import UNetGenerator
from dcgan.training import optimizers
from dcgan.training.iterators import make_iterator
from dcgan.training.pix2pix_updater import Pix2PixUpdater
from tests.helpers import params, run_until_crash, training_state


def save(path, array_hwc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(array_hwc).save(path)


def random_rgb(rs, h, w):
    return rs.randint(0, 256, (h, w, 3)).astype(numpy.uint8)


# -- paired data ------------------------------------------------------------

def test_side_by_side_files_split_into_aligned_halves(tmp_path):
    rs = numpy.random.RandomState(0)
    halves = []
    for i in range(3):
        a, b = random_rgb(rs, 12, 12), random_rgb(rs, 12, 12)
        save(str(tmp_path / 'ab' / '{}.png'.format(i)), numpy.concatenate([a, b], axis=1))
        halves.append((a, b))
    (tmp_path / 'ab' / 'broken.png').write_bytes(b'not a png')
    with pytest.warns(UserWarning, match='broken.png'):
        found = pairs.load_side_by_side(str(tmp_path / 'ab'), load_size=12)
    assert len(found.names) == 3 and found.skipped[0][0].endswith('broken.png')
    for i, (a, b) in enumerate(halves):
        assert (found.inputs[i] == a.transpose(2, 0, 1)).all()
        assert (found.targets[i] == b.transpose(2, 0, 1)).all()
    with pytest.warns(UserWarning):
        swapped = pairs.load_side_by_side(str(tmp_path / 'ab'), load_size=12, direction='BtoA',
                                          input_channels=1)
    assert (swapped.targets == found.inputs).all() and swapped.inputs.shape[1] == 1


def test_matched_folders_list_the_unmatched_and_refuse_when_none_match(tmp_path):
    rs = numpy.random.RandomState(1)
    for name in ('x', 'sub/y'):
        save(str(tmp_path / 'd' / 'A' / (name + '.png')), random_rgb(rs, 10, 10))
        save(str(tmp_path / 'd' / 'B' / (name + '.jpg')), random_rgb(rs, 10, 10))
    save(str(tmp_path / 'd' / 'A' / 'lonely.png'), random_rgb(rs, 10, 10))
    assert pairs.looks_like_matched_folders(str(tmp_path / 'd'))
    with pytest.warns(pairs.UnmatchedPairWarning, match='A/lonely.png'):
        found = pairs.load_matched_folders(str(tmp_path / 'd'), load_size=8)
    assert sorted(found.names) == ['sub/y', 'x'] and found.unmatched == ['A/lonely.png']
    assert found.inputs.shape == (2, 3, 8, 8)
    save(str(tmp_path / 'e' / 'A' / 'one.png'), random_rgb(rs, 10, 10))
    save(str(tmp_path / 'e' / 'B' / 'two.png'), random_rgb(rs, 10, 10))
    with pytest.raises(DatasetError, match=r'no file in A/ has a partner.*one.*two'):
        pairs.load_matched_folders(str(tmp_path / 'e'), load_size=8)


@pytest.mark.parametrize('rule', make_input.RULES)
def test_each_rule_makes_inputs_the_size_of_their_targets(rule):
    rs = numpy.random.RandomState(2)
    targets = rs.randint(0, 256, (3, 3, 16, 16)).astype(numpy.uint8)
    inputs = make_input.make_inputs(targets, rule)
    assert inputs.shape == (3, make_input.CHANNELS[rule], 16, 16) and inputs.dtype == numpy.uint8
    assert not (inputs[:, :1] == targets[:, :1]).all()
    again = make_input.make_inputs(targets, rule)
    assert (again == inputs).all()  # the mask's box is drawn from the image's index


def test_lineart_draws_dark_lines_on_white():
    image = numpy.full((1, 3, 12, 12), 200, numpy.uint8)
    image[:, :, :, 6:] = 40
    line = make_input.make_inputs(image, 'lineart')[0, 0]
    assert (line[:, :4] == 255).all() and (line[:, 8:] == 255).all()
    assert (line[:, 6] == 255 - 160).all()  # the dark side of the edge


def test_crop_and_flip_keep_the_halves_aligned():
    rs = numpy.random.RandomState(3)
    targets = rs.randint(0, 256, (6, 3, 20, 20)).astype(numpy.uint8)
    derived = pairs.derive_pairs(targets, 'gray', [str(i) for i in range(6)])
    tops, lefts = rs.randint(0, 5, 6), rs.randint(0, 5, 6)
    flips = numpy.array([True, False] * 3)
    a, b = pairs.crop_and_flip(derived.inputs, derived.targets, (16, 16), tops, lefts, flips)
    # Gray is a per-pixel rule: the cropped input is still the cropped target's gray.
    assert (a == make_input.make_inputs(b, 'gray')).all()
    assert (b[1] == targets[1, :, tops[1]:tops[1] + 16, lefts[1]:lefts[1] + 16]).all()
    assert (b[0] == targets[0, :, tops[0]:tops[0] + 16, lefts[0]:lefts[0] + 16][..., ::-1]).all()


def test_holdout_split_is_seeded_disjoint_and_refuses_taking_everything():
    train, held = pairs.holdout_split(50, 8, seed=3)
    again = pairs.holdout_split(50, 8, seed=3)
    assert (train == again[0]).all() and (held == again[1]).all()
    assert len(held) == 8 and not set(train) & set(held) and len(train) + 8 == 50
    assert not (pairs.holdout_split(50, 8, seed=4)[1] == held).all()
    with pytest.raises(DatasetError, match='at least one must be left'):
        pairs.holdout_split(5, 5)


# -- networks ---------------------------------------------------------------

@pytest.mark.parametrize('size,a_ch,b_ch', [(16, 1, 3), (32, 3, 3), ((16, 32), 3, 1), (64, 1, 1)])
def test_unet_and_patchgan_shapes(size, a_ch, b_ch):
    gen = UNetGenerator(a_ch, b_ch, size, ngf=4, init_seed=0)
    h, w = (size, size) if isinstance(size, int) else size
    assert gen.n_down == int(numpy.log2(min(h, w)))
    # No normalisation on the 1-px bottleneck (nor on the first layer).
    assert not hasattr(gen, 'down%d_norm' % (gen.n_down - 1)) and not hasattr(gen, 'down0_norm')
    x = numpy.random.RandomState(0).rand(2, a_ch, h, w).astype(numpy.float32)
    y = gen(x)
    assert y.shape == (2, b_ch, h, w) and 0 <= y.array.min() and y.array.max() <= 1
    for patch in (1, 16, 34):
        dis = PatchDiscriminator(a_ch + b_ch, ndf=4, patch=patch, resolution=(h, w))
        assert dis(numpy.concatenate([x, y.array], axis=1)).shape == (2, 1) + map_size((h, w),
                                                                                   dis.n_layers)
    assert map_size(256, 3) == (30, 30) and map_size(64, 2) == (14, 14)


def test_sizes_that_do_not_fit_are_refused_with_sizes_that_do():
    with pytest.raises(ArchitectureError, match=r'multiples of 16 \(e\.g\. 16, 32, 48'):
        UNetGenerator(3, 3, 24, n_down=4)
    with pytest.raises(ArchitectureError, match='multiples of 64'):
        UNetGenerator(3, 3, (64, 96))
    with pytest.raises(ArchitectureError, match='patches that fit: 1, 16, 34'):
        PatchDiscriminator(6, patch=142, resolution=32)
    gen = UNetGenerator(3, 3, 16, ngf=4)
    with pytest.raises(ArchitectureError, match='multiples of 16'):
        gen(numpy.zeros((1, 3, 24, 24), numpy.float32))


def test_dropout_comes_from_the_rng_given():
    from dcgan.training.rng import TrainingRandom
    gen = UNetGenerator(1, 3, 16, ngf=4, init_seed=0)
    x = numpy.random.RandomState(0).rand(2, 1, 16, 16).astype(numpy.float32)
    one, two = (gen(x, rng=TrainingRandom(5)).array for _ in range(2))
    assert (one == two).all()
    assert not (gen(x, rng=TrainingRandom(6)).array == one).all()
    state = numpy.random.get_state()[1].copy()
    gen(x, rng=TrainingRandom(5))
    assert (numpy.random.get_state()[1] == state).all()  # NumPy's global RNG untouched


# -- the updater ------------------------------------------------------------

def tiny_pairs(n=10, size=20, seed=0):
    rs = numpy.random.RandomState(seed)
    targets = rs.randint(0, 256, (n, 3, size, size)).astype(numpy.uint8)
    return make_input.make_inputs(targets, 'lineart'), targets


def tiny_updater(seed=0, **kwargs):
    a, b = tiny_pairs()
    gen = UNetGenerator(1, 3, 16, ngf=4, init_seed=seed)
    dis = PatchDiscriminator(4, ndf=4, patch=16, resolution=16, init_seed=seed + 1)
    opts = {}
    for name, model in (('gen', gen), ('dis', dis)):
        opts[name] = optimizers.Adam(alpha=2e-4, beta1=0.5, beta2=0.9)
        opts[name].setup(model)
    iterator = make_iterator(pairs.PairedArrayDataset(a, b), 4, seed=seed)
    return Pix2PixUpdater(models=(gen, dis), iterator=iterator, optimizer=opts, device='@numpy',
                          crop=16, seed=seed, **kwargs)


def observed_update(updater):
    reporter = chainer.Reporter()
    reporter.add_observer('gen', updater.gen)
    reporter.add_observer('dis', updater.dis)
    with reporter.scope({}) as _:
        observation = {}
        with reporter.scope(observation):
            updater.update()
    return observation


def test_one_update_changes_both_nets_and_reports_the_keys():
    updater = tiny_updater()
    before_g, before_d = params(updater.gen), params(updater.dis)
    observation = observed_update(updater)
    assert set(observation) == {'gen/loss', 'gen/l1', 'gen/adv', 'dis/loss', 'dis/real',
                                'dis/fake'}
    for before, net in ((before_g, updater.gen), (before_d, updater.dis)):
        after = params(net)
        assert all(not numpy.array_equal(before[k], after[k]) for k in before if k.endswith('/W'))


def test_the_l1_weight_changes_the_generators_gradient():
    grads = []
    for lambda_l1 in (0.0, 100.0):
        updater = tiny_updater(lambda_l1=lambda_l1)
        observed_update(updater)
        grads.append({n: p.grad.copy() for n, p in updater.gen.namedparams()})
    diff = max(float(numpy.abs(grads[0][k] - grads[1][k]).max()) for k in grads[0])
    scale = max(float(numpy.abs(g).max()) for g in grads[1].values())
    assert diff > 0.5 * scale


def test_dis_every_and_n_dis_count_the_steps():
    updater = tiny_updater(dis_every=3)
    for _ in range(6):
        observed_update(updater)
    assert updater.get_optimizer('gen').t == 6 and updater.get_optimizer('dis').t == 2
    updater = tiny_updater(n_dis=2)
    for _ in range(3):
        observed_update(updater)
    assert updater.get_optimizer('gen').t == 3 and updater.get_optimizer('dis').t == 6
    updater = tiny_updater(lambda_gan=0.0)
    assert set(observed_update(updater)) == {'gen/loss', 'gen/l1'}
    assert updater.get_optimizer('dis').t == 0


def make_trainer(out, stop=4, extend=None, **kwargs):
    updater = tiny_updater(augment='translation,cutout', **kwargs)
    trainer = training.Trainer(updater, (stop, 'iteration'), out=str(out))
    trainer.extend(training.extensions.snapshot(filename='snapshot_iter_{.updater.iteration}'),
                   trigger=(2, 'iteration'))
    if extend:
        extend(trainer, updater)
    return trainer


def test_resume_continues_exactly():
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        straight = make_trainer(os.path.join(d, 'a'))
        straight.run()
        broken = make_trainer(os.path.join(d, 'b'))
        run_until_crash(broken, 3)
        resumed = make_trainer(os.path.join(d, 'b'), seed=1)  # another seed: only a real resume matches
        chainer.serializers.load_npz(os.path.join(d, 'b', 'snapshot_iter_2'), resumed)
        resumed.run()
        one, two = training_state(straight), training_state(resumed)
        assert one.keys() == two.keys()
        for k in one:
            if k != 'global_rng':
                assert numpy.array_equal(one[k], two[k]), k


def test_grid_and_scores_leave_training_unchanged(tmp_path):
    a, b = tiny_pairs(4, 16, seed=9)

    def extend(trainer, updater):
        trainer.extend(PairGrid(updater.gen, (a, b), (a[:2], b[:2])), trigger=(1, 'iteration'))
        trainer.extend(PairedReport(updater.gen, a, b), trigger=(1, 'iteration'))
        trainer.extend(PairGrid(updater.gen, (a, b), test_mode='eval', filename='eval_{}.png'),
                       trigger=(1, 'iteration'))
    plain = make_trainer(tmp_path / 'plain')
    plain.run()
    watched = make_trainer(tmp_path / 'watched', extend=extend)
    watched.run()
    assert os.path.isfile(str(tmp_path / 'watched' / 'preview' / 'pairs_iter_4.png'))
    one, two = training_state(plain), training_state(watched)
    for k in one:
        assert numpy.array_equal(one[k], two[k]), k


def test_scores_of_a_copy_and_of_noise():
    rs = numpy.random.RandomState(0)
    t = rs.randint(0, 256, (2, 3, 16, 16)).astype(numpy.uint8)
    same = paired.scores(t, t)
    assert same == {'l1': 0.0, 'psnr': 100.0, 'ssim': pytest.approx(1.0)}
    noise = paired.scores(rs.randint(0, 256, t.shape).astype(numpy.uint8), t)
    assert noise['l1'] > 0.5 and noise['psnr'] < 10 and abs(noise['ssim']) < 0.1
    # PSNR of a uniform error of 0.1: 20 dB.
    assert paired.psnr(numpy.full((1, 1, 4, 4), 0.6), numpy.full((1, 1, 4, 4), 0.5))[0] == \
        pytest.approx(20.0)


def test_cli_trains_on_side_by_side_files_and_records_the_held_out_pairs(tmp_path, capsys):
    from dcgan.cli import pix2pix
    rs = numpy.random.RandomState(4)
    for i in range(8):
        save(str(tmp_path / 'ab' / '{}.png'.format(i)), random_rgb(rs, 18, 36))
    out = tmp_path / 'run'
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        code = pix2pix.main(['--dataset', str(tmp_path / 'ab'), '--resolution', '16', '--ngf', '4',
                             '--ndf', '4', '--patch', '16', '--iteration', '2', '-b', '2',
                             '--holdout', '2', '--snapshot_interval', '2', '--display_interval',
                             '1', '-o', str(out), '--no-progress-bar'])
    assert code == 0
    config = json.load(open(str(out / 'config.json')))
    assert config['model'] == 'pix2pix' and len(config['data']['heldout']) == 2
    assert config['gen']['in_channels'] == 3 and config['data']['load_size'] == 18
    log = json.load(open(str(out / 'log')))
    assert {'gen/l1', 'gen/adv', 'dis/loss', 'val/l1', 'val/psnr', 'val/ssim'} <= set(log[-1])
    assert (out / 'preview' / 'pairs_iter_2.png').is_file() and (out / 'gen_iter_2.npz').is_file()
    assert 'U-Net: 4 stride-2 layers' in capsys.readouterr().out
