"""The labelled demo set and one classifier trained on it, built once per test run
(test_classifier.py and test_per_class.py share them; training takes seconds),
and datasets/make_demo.py loaded as a module."""
import functools
import importlib.util
import os

from dcgan.data.demo import make_demo_labelled
from dcgan.evaluation.classifier import train_classifier


@functools.lru_cache(maxsize=None)
def demo_set():
    """240 labelled 32 px demo images (seed 0): (images, labels, class names)."""
    return make_demo_labelled(n=240, resolution=32, seed=0)


@functools.lru_cache(maxsize=None)
def demo_classifier():
    """A classifier trained on :func:`demo_set` (seed 0, 150 iterations)."""
    images, labels, names = demo_set()
    return train_classifier(images, labels, 3, seed=0, iterations=150, class_names=names)


def make_demo_script():
    """datasets/make_demo.py as a module (it is a script, not in a package)."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = importlib.util.spec_from_file_location(
        'datasets_make_demo', os.path.join(repo, 'datasets', 'make_demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
