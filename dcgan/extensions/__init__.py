"""Trainer extensions, each an ordinary ``chainer.training.Extension``.

One file per extension, each small and free to evolve on its own. All but
LearningRateDecay, which sets the optimizers' rates, leave training
untouched: the generator runs in test mode without backprop, they draw from
their own random generators, and they write atomically.
"""
from dcgan.extensions.ema import GeneratorEMA  # noqa: F401
from dcgan.extensions.html_report import HTMLReport  # noqa: F401
from dcgan.extensions.lr_decay import LearningRateDecay  # noqa: F401
from dcgan.extensions.metric_plot import MetricPlot  # noqa: F401
from dcgan.extensions.nan_guard import NaNGuard  # noqa: F401
from dcgan.extensions.nearest_grid import NearestGrid  # noqa: F401
from dcgan.extensions.preview import PreviewGrid  # noqa: F401
from dcgan.extensions.progress_gif import ProgressGif  # noqa: F401
from dcgan.extensions.snapshot import TrainerSnapshot  # noqa: F401
from dcgan.extensions.swd_report import SWDReport  # noqa: F401
from dcgan.extensions.walk_gif import LatentWalkGif  # noqa: F401
