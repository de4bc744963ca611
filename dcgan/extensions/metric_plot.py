"""A PNG plot of logged values (losses, D outputs, SWD), written atomically.

Chainer's ``PlotReport`` writes its PNG in place; this one reads the same
``LogReport`` log and goes through ``imaging.atomic_write``, and it simply
skips plotting when matplotlib is missing.
"""
import os

from chainer.training import extension

from dcgan.io import imaging


class MetricPlot(extension.Extension):
    """Plots ``keys`` from the trainer's ``LogReport`` against iteration."""

    trigger = (100, 'iteration')
    priority = extension.PRIORITY_READER - 1  # after LogReport (a reader) has logged

    def __init__(self, keys, filename='loss.png', log_name='LogReport'):
        self.keys = tuple(keys)
        self.filename = filename
        self.log_name = log_name

    def __call__(self, trainer):
        try:
            import matplotlib
            matplotlib.use('Agg')
            import matplotlib.pyplot as plt
        except ImportError:
            return
        log = trainer.get_extension(self.log_name).log
        fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
        drawn = False
        for key in self.keys:
            points = [(e['iteration'], e[key]) for e in log if key in e]
            if points:
                xs, ys = zip(*points)
                ax.plot(xs, ys, label=key)
                drawn = True
        if not drawn:
            plt.close(fig)
            return
        ax.set_xlabel('iteration')
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        imaging.atomic_write(os.path.join(trainer.out, self.filename),
                             lambda tmp: fig.savefig(tmp, format='png'))
        plt.close(fig)
