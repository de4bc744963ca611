"""Linear learning-rate decay at the end of training (--lr-decay)."""
import pytest
from chainer import training

from dcgan.extensions.lr_decay import LearningRateDecay, decay_factor
from tests.helpers import tiny_updater


def test_factor_is_one_then_a_straight_line_down():
    # 10 iterations, last half decayed: updates 7..10 step down by 1/5 each.
    factors = [decay_factor(i, 10, 0.5) for i in range(1, 11)]
    assert factors[:6] == [1.0] * 6
    assert factors[6:] == pytest.approx([0.8, 0.6, 0.4, 0.2])
    # Off, and the whole run.
    assert decay_factor(10, 10, 0.0) == 1.0
    assert decay_factor(1, 4, 1.0) == 1.0 and decay_factor(4, 4, 1.0) == pytest.approx(0.25)


def _trained_alphas(iterations, end, fraction):
    """Rates each optimizer was set to before each update of a tiny run."""
    updater = tiny_updater()
    optimizers = updater.get_all_optimizers()
    rates = []

    class Record(training.Extension):
        # A reader runs after the writers (the decay), at the start and after
        # every update: what it sees is the rate of the next update.
        trigger = (1, 'iteration')
        priority = training.PRIORITY_READER

        def initialize(self, trainer):
            self(trainer)

        def __call__(self, trainer):
            rates.append({name: opt.alpha for name, opt in optimizers.items()})

    trainer = training.Trainer(updater, (iterations, 'iteration'), out='/nonexistent')
    trainer.extend(LearningRateDecay(optimizers, end, fraction))
    trainer.extend(Record())
    trainer.run()
    return rates[:-1]  # the last one would be for an update that never comes


def test_every_update_uses_the_scheduled_rate_for_both_nets():
    alphas = _trained_alphas(6, end=6, fraction=0.5)
    assert len(alphas) == 6
    for i, rates in enumerate(alphas, start=1):
        for name in ('gen', 'dis'):
            assert rates[name] == pytest.approx(2e-4 * decay_factor(i, 6, 0.5)), (i, name)
    assert alphas[-1]['gen'] == pytest.approx(2e-4 / 3)


def test_a_resumed_run_continues_the_schedule():
    updater = tiny_updater()
    optimizers = updater.get_all_optimizers()
    decay = LearningRateDecay(optimizers, 10, 0.5)
    trainer = training.Trainer(updater, (10, 'iteration'), out='/nonexistent')
    updater.iteration = 7  # as after loading a snapshot of iteration 7
    decay.initialize(trainer)
    assert optimizers['gen'].alpha == pytest.approx(2e-4 * 0.6)


@pytest.mark.parametrize('fraction', [0.0, -0.1, 1.5])
def test_impossible_fractions_are_refused(fraction):
    with pytest.raises(ValueError, match='fraction'):
        LearningRateDecay(tiny_updater().get_all_optimizers(), 10, fraction)
