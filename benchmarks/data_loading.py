"""Data path speed: decode once (dcgan.data) vs decode every time (Chainer example).

    python benchmarks/data_loading.py [--images 256] [--size 96] [--batch 50]

Builds a folder of PNGs in a temporary directory (the demo blobs drawn at
--size px), then times, in this one process and alternating the two so that
machine load hits both alike:

  (a) dcgan.data: load_image_folder once (timed separately), then per epoch
      SerialIterator over ImageArrayDataset (uint8 in memory) + to_float_batch
      (uint8 -> float32 [0, 1] on the device);
  (b) the Chainer DCGAN example: SerialIterator over
      chainer.datasets.ImageDataset (Pillow decodes every image every time it
      is drawn) + concat_examples, then / 255 as the example's updater does.

If dcgan.models.nets and dcgan.training.updater import, it also times whole training
iterations (DCGANUpdater, small --ch) fed by each path. Figures are medians
over --repeats; the 1-minute load average is printed beside them because the
machine is shared.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy

try:
    import dcgan  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))

import chainer  # noqa: E402
from PIL import Image  # noqa: E402

from dcgan.data import (ImageArrayDataset, find_image_files,  # noqa: E402
                        load_image_folder, to_float_batch)
from dcgan.data.demo import make_demo_images  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--images', type=int, default=256)
    p.add_argument('--size', type=int, default=96)
    p.add_argument('--batch', type=int, default=50)
    p.add_argument('--repeats', type=int, default=5,
                   help='timed epochs per data path (median reported)')
    p.add_argument('--ch', type=int, default=32,
                   help='net width for the end-to-end measurement')
    p.add_argument('--train-iterations', type=int, default=12,
                   help='timed training iterations per data path')
    return p.parse_args()


def load():
    return '{:.2f}'.format(os.getloadavg()[0])


@chainer.dataset.converter()
def example_converter(batch, device):
    """What Chainer's DCGAN example feeds its nets: concat, then / 255."""
    return chainer.dataset.concat_examples(batch, device) / 255.


def make_folder(root, n, size):
    images = make_demo_images(n=n, resolution=size, channels=3, seed=0)
    for i, image in enumerate(images):
        Image.fromarray(numpy.ascontiguousarray(image.transpose(1, 2, 0))).save(
            os.path.join(root, 'img_{:04d}.png'.format(i)))
    return images


def one_epoch(dataset, converter, batch, device):
    iterator = chainer.iterators.SerialIterator(dataset, batch, repeat=False,
                                                shuffle=True)
    total = 0.0
    for examples in iterator:
        x = converter(examples, device)
        total += float(x[0, 0, 0, 0])  # use the result
    return total


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def make_updater(dataset, converter, args, device):
    """A DCGANUpdater with small nets, fed by `dataset` through `converter`."""
    from dcgan.models.nets import Discriminator, Generator
    from dcgan.training.updater import DCGANUpdater
    numpy.random.seed(0)
    gen = Generator(n_hidden=100, resolution=args.size, ch=args.ch)
    dis = Discriminator(resolution=args.size, ch=args.ch)
    opts = {}
    for name, model in (('gen', gen), ('dis', dis)):
        opt = chainer.optimizers.Adam(alpha=0.0002, beta1=0.5)
        opt.setup(model)
        opts[name] = opt
    iterator = chainer.iterators.SerialIterator(dataset, args.batch,
                                                shuffle=True)
    updater = DCGANUpdater(iterator=iterator, optimizer=opts,
                           models=(gen, dis), device=device,
                           converter=converter)
    updater.update()  # warm-up: first-call allocations
    return updater


def main():
    args = parse_args()
    device = chainer.get_device('@numpy')
    print('data loading benchmark: {} PNGs of {}x{} px, batch {}, device {}'
          .format(args.images, args.size, args.size, args.batch, device))
    print('load average at start: {}'.format(load()))
    with tempfile.TemporaryDirectory() as root:
        source = make_folder(root, args.images, args.size)

        # (a) one-time decode into memory.
        start = time.perf_counter()
        folder = load_image_folder(root)
        load_seconds = time.perf_counter() - start
        assert numpy.array_equal(folder.images, source)
        ours = ImageArrayDataset(folder)
        theirs = chainer.datasets.ImageDataset(
            [os.path.basename(p) for p in find_image_files(root)], root=root)
        # Both paths must deliver the same numbers.
        numpy.testing.assert_allclose(
            to_float_batch([ours[3]], device)[0],
            example_converter([theirs[3]], device)[0], rtol=1e-6)

        ours_times, theirs_times = [], []
        one_epoch(ours, to_float_batch, args.batch, device)  # warm-up
        one_epoch(theirs, example_converter, args.batch, device)
        for _ in range(args.repeats):
            ours_times.append(timed(lambda: one_epoch(
                ours, to_float_batch, args.batch, device)))
            theirs_times.append(timed(lambda: one_epoch(
                theirs, example_converter, args.batch, device)))
        ours_epoch = statistics.median(ours_times)
        theirs_epoch = statistics.median(theirs_times)
        print()
        print('one epoch of the data path (iterator + converter, median of {})'
              .format(args.repeats))
        print('  (a) dcgan.data ImageArrayDataset + to_float_batch: '
              '{:8.2f} ms   (load avg {})'.format(ours_epoch * 1e3, load()))
        print('  (b) chainer ImageDataset + concat_examples / 255: '
              '{:8.2f} ms   (load avg {})'.format(theirs_epoch * 1e3, load()))
        print('  ratio (b)/(a): {:.1f}x'.format(theirs_epoch / ours_epoch))
        print('  one-time load_image_folder (decode {} files): {:.1f} ms, '
              'repaid after {:.2f} epochs'.format(
                  args.images, load_seconds * 1e3,
                  load_seconds / max(theirs_epoch - ours_epoch, 1e-9)))
        print('  memory: uint8 array {:.1f} MB (float32 would be {:.1f} MB)'
              .format(folder.images.nbytes / 1e6,
                      folder.images.nbytes * 4 / 1e6))

        try:
            import dcgan.models.nets  # noqa: F401
            import dcgan.training.updater  # noqa: F401
        except ImportError as e:
            print('\nend to end: skipped (dcgan.models.nets/dcgan.training.updater not '
                  'importable: {})'.format(e))
            return
        ours_updater = make_updater(ours, to_float_batch, args, device)
        theirs_updater = make_updater(theirs, example_converter, args, device)
        # Alternate single iterations so load changes hit both paths alike.
        ours_train, theirs_train = [], []
        for _ in range(args.train_iterations):
            ours_train.append(timed(ours_updater.update))
            theirs_train.append(timed(theirs_updater.update))
        ours_t = statistics.median(ours_train)
        theirs_t = statistics.median(theirs_train)
        data_gap = (theirs_epoch - ours_epoch) / -(-args.images // args.batch)
        print()
        print('end to end: DCGANUpdater.update() (D step + G step), ch={}, '
              '{} px, median of {} alternating iterations'.format(
                  args.ch, args.size, args.train_iterations))
        print('  (a) dcgan.data:           {:8.1f} ms/iteration   (load avg {})'
              .format(ours_t * 1e3, load()))
        print('  (b) chainer ImageDataset: {:8.1f} ms/iteration   (load avg {})'
              .format(theirs_t * 1e3, load()))
        print('  ratio (b)/(a): {:.3f}x; the data-path gap measured above is '
              '{:.1f} ms per batch, {:.1f}% of an (a) iteration'.format(
                  theirs_t / ours_t, data_gap * 1e3,
                  100 * data_gap / ours_t))


if __name__ == '__main__':
    main()
