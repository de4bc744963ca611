"""dcgan-translate: apply a pix2pix generator to image files; wiring only.

    python examples/translate.py --gen result/gen_iter_5000.npz --out out/ photo.jpg drawings/
    python examples/translate.py --gen result/gen_iter_5000.npz --out out/ --make-input same pics/

Each input (a file, or every image under a folder) gives one output of the
input's size: padded (reflected) to the next size the U-Net takes and cropped
back (``--fit pad``, the default), or resized to the training size and back
(``--fit resize``). ``--make-input`` makes the input from a colour image with
a training rule first (``same``: the rule the run's config.json records).
"""
import os
import sys

import numpy
from PIL import Image

from dcgan.cli.devices import add_device_arguments, get_device
from dcgan.cli.errors import ArgumentParser, UsageError, run_command
from dcgan.data import IMAGE_EXTENSIONS, DatasetError, find_image_files, parse_background
from dcgan.data import decode, make_input
from dcgan.evaluation.paired import TEST_MODES, translate
from dcgan.extensions.pair_grid import as_rgb
from dcgan.io import imaging, unet_files
from dcgan.io.npz_files import ModelFileError
from dcgan.models.unet import padded_size


def build_parser():
    parser = ArgumentParser(
        prog='dcgan-translate',
        description='Translate images with a pix2pix generator (gen_iter_N.npz or a snapshot '
                    'of dcgan-pix2pix); one output of the same size per input.')
    parser.add_argument('inputs', nargs='+', metavar='INPUT', help='image files or folders')
    parser.add_argument('--gen', required=True, metavar='FILE',
                        help='gen_iter_N.npz, gen_ema_iter_N.npz or snapshot_iter_N.npz')
    parser.add_argument('--out', '-o', required=True, metavar='DIR', help='output folder')
    parser.add_argument('--config', default=None, metavar='FILE',
                        help='the run\'s config.json (default: the one beside --gen, else the '
                             'architecture is worked out from the arrays)')
    add_device_arguments(parser)
    parser.add_argument('--fit', choices=('pad', 'resize'), default='pad',
                        help='pad: at the image\'s own size (reflect-padded to a multiple the '
                             'U-Net takes, cropped back); resize: at the training size')
    parser.add_argument('--make-input', choices=make_input.RULES + ('same',), default=None,
                        help='make each input from a colour image first (same: the rule the '
                             'run recorded)')
    parser.add_argument('--test-mode', choices=TEST_MODES, default=None,
                        help='paper: batch statistics of each image, dropout on; eval: running '
                             'statistics, no dropout (default: the run\'s)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the dropout masks')
    parser.add_argument('--side-by-side', action='store_true',
                        help='write input | output instead of the output alone')
    parser.add_argument('--background', default='white',
                        help='colour transparent pixels are composited onto')
    return parser


def input_files(paths):
    """[(file, name of its output)] for files and every image under folders."""
    found = []
    for path in paths:
        if os.path.isdir(path):
            try:
                files = find_image_files(path)
            except DatasetError as e:
                raise UsageError(str(e))
            found += [(f, os.path.relpath(f, path)) for f in files]
        elif os.path.isfile(path):
            found.append((path, os.path.basename(path)))
        else:
            raise UsageError('{}: no such file or folder'.format(path))
    if not found:
        raise UsageError('no image files in {} (searched for {})'.format(
            ', '.join(paths), ', '.join(e[1:] for e in IMAGE_EXTENSIONS)))
    return found


def load_input(path, gen, rule, background, index):
    """The uint8 (C, H, W) input the generator takes, made from the file at ``path``."""
    image = decode.decode_image(path, 3, background)
    if rule:
        image = make_input.apply_rule(image, rule, index)
    image = image.convert('L' if gen.in_channels == 1 else 'RGB')
    return decode.to_chw(image)


def fit_input(chw, gen, fit):
    """(the (1, C, h, w) array to run, how to get back to the input's size)."""
    c, h, w = chw.shape
    if fit == 'resize':
        th, tw = (int(v) for v in gen.train_size)
        pixels = chw[0] if c == 1 else chw.transpose(1, 2, 0)
        resized = Image.fromarray(pixels).resize((tw, th), decode.RESAMPLE)
        return decode.to_chw(resized)[None], ('resize', (h, w))
    ph, pw = padded_size((h, w), gen.n_down)
    mode = 'reflect' if ph - h < h and pw - w < w else 'edge'
    padded = numpy.pad(chw, ((0, 0), (0, ph - h), (0, pw - w)), mode=mode)
    return padded[None], ('crop', (h, w))


def back_to_size(output, how):
    """uint8 (C, h, w) output -> the input's size."""
    kind, (h, w) = how
    if kind == 'crop':
        return output[:, :h, :w]
    pixels = output[0] if output.shape[0] == 1 else output.transpose(1, 2, 0)
    return decode.to_chw(Image.fromarray(pixels).resize((w, h), decode.RESAMPLE))


def output_path(out, name):
    return os.path.join(out, os.path.splitext(name)[0] + '.png')


def run(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        background = parse_background(args.background)
    except DatasetError as e:
        parser.error('--background: {}'.format(e))
    device = get_device(args.device)
    try:
        loaded = unet_files.load_unet(args.gen, config_path=args.config, device=device)
    except ModelFileError as e:
        raise UsageError(str(e))
    gen, recorded = loaded.gen, loaded.run_config or {}
    rule = args.make_input
    if rule == 'same':
        rule = (recorded.get('data') or {}).get('make_input')
        if not rule:
            raise UsageError('--make-input same: {} records no --make-input rule (its inputs '
                             'were given as files); name a rule or drop the flag'.format(
                                 loaded.config_source))
    test_mode = args.test_mode or (recorded.get('args') or {}).get('test_mode', 'paper')
    print('Generator: {} ({}; architecture from {}); test mode {}{}'.format(
        args.gen, ', '.join('{}={}'.format(k, v) for k, v in sorted(loaded.config.items())),
        loaded.config_source, test_mode, '; inputs made by ' + rule if rule else ''))
    files = input_files(args.inputs)
    written = skipped = 0
    for index, (path, name) in enumerate(files):
        try:
            chw = load_input(path, gen, rule, background, index)
        except decode.UnreadableImageError as e:
            print('warning: skipped {}: {}'.format(path, e), file=sys.stderr)
            skipped += 1
            continue
        batch, how = fit_input(chw, gen, args.fit)
        output = back_to_size(imaging.to_uint8(translate(gen, batch, test_mode, args.seed))[0],
                              how)
        picture = output
        if args.side_by_side:
            picture = numpy.concatenate([as_rgb(chw[None])[0], as_rgb(output[None])[0]], axis=2)
        imaging.save_png(output_path(args.out, name), picture.transpose(1, 2, 0))
        written += 1
    print('Wrote {} image(s) to {}{}'.format(written, args.out,
                                            ', skipped {}'.format(skipped) if skipped else ''))
    return 0


def main(argv=None):
    return run_command(run, argv)


if __name__ == '__main__':
    sys.exit(main())
