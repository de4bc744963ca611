"""Reading generator files safely, and recording how to rebuild them.

A generator file is one of:

- a ``gen_iter_N.npz`` saved by this project or by Chainer's own
  ``examples/dcgan`` (arrays ``l0/W``, ``bn0/gamma``, ``dc1/W`` ...);
- a trainer snapshot, where Chainer's trainer keeps the generator under
  ``updater/model:gen/``.

Loading never runs code from the file (``dcgan.io.npz_files`` reads it). The
architecture comes from the run's recorded ``config.json`` (``{"gen":
Generator.config(), ...}``) when there is one, otherwise from the arrays'
shapes; every array's shape is checked before anything is used.
"""
import inspect
import json
import math
import os

import numpy

from dcgan.io import imaging
from dcgan.io.npz_files import ModelFileError, member_header, open_npz
from dcgan.models.conditional import decode_names
from dcgan.models.nets import ArchitectureError, Generator

__all__ = ['ModelFileError', 'open_npz', 'load_generator', 'LoadedGenerator',
           'infer_generator_config', 'read_config', 'save_config', 'config_beside',
           'find_generator_prefix', 'generator_prefixes', 'generator_kwargs',
           'stored_class_names']

CONFIG_NAME = 'config.json'
SNAPSHOT_PREFIX = 'updater/model:gen/'
# Arrays a Chainer generator file always has; ``dc1/W`` tells it from a
# discriminator (which has ``c0_0/W`` and ``l4/W``).
_MARKERS = ('l0/W', 'dc1/W')
# Where a conditional generator's file keeps its class names.
CLASS_NAMES_KEY = 'class_names_utf8'
# Persistent values older Chainer versions did not save.
_OPTIONAL = ('N',)


# -- finding the generator inside a file ------------------------------------

def generator_prefixes(names):
    """Prefixes under which ``names`` (npz keys) hold a generator."""
    names = set(names)
    found = []
    for name in sorted(names):
        if name.endswith('/' + _MARKERS[0]) or name == _MARKERS[0]:
            prefix = name[:-len(_MARKERS[0])]
            if prefix + _MARKERS[1] in names:
                found.append(prefix)
    return found


def find_generator_prefix(names, path='file', prefix=None):
    """The prefix of the generator's arrays in ``names``.

    A plain generator file has ``''``; a trainer snapshot
    ``'updater/model:gen/'``. ``prefix`` picks one when a file holds several
    generators (e.g. an EMA copy).
    """
    found = generator_prefixes(names)
    if prefix is not None:
        prefix = prefix if prefix == '' or prefix.endswith('/') else prefix + '/'
        if prefix in found:
            return prefix
        raise ModelFileError('{}: has no generator under {!r}; generators found: {}'
                             .format(path, prefix, _listing(found)))
    for preferred in ('', SNAPSHOT_PREFIX):
        if preferred in found:
            return preferred
    if len(found) == 1:
        return found[0]
    if not found:
        # Weight names say most about what a file is.
        weights = sorted(names, key=lambda n: (not n.endswith('/W'), n))
        sample = ', '.join(weights[:4]) or 'no arrays at all'
        raise ModelFileError(
            '{}: holds no generator: expected arrays {} (at the top level, or '
            'under {} in a trainer snapshot), found {} arrays such as {}'.format(
                path, ' and '.join(_MARKERS), SNAPSHOT_PREFIX, len(names), sample))
    raise ModelFileError('{}: holds several generators ({}); choose one by its '
                         'prefix'.format(path, _listing(found)))


def _listing(prefixes):
    return ', '.join(repr(p) for p in prefixes) or 'none'


# -- architecture -------------------------------------------------------------

def infer_generator_config(shapes, prefix='', path='file', class_names=None):
    """Generator constructor arguments worked out from array shapes.

    ``shapes`` maps npz keys to shapes. ``l0/W`` is (bw*bw*ch, n_hidden),
    ``dc1/W`` (ch, ch/2, 4, 4) and the last ``dc{n_stages+1}/W``
    (ch/2**n_stages, out_channels, 3, 3). A conditional generator also has
    its ``class_names`` (read from the file's ``class_names_utf8``) and, for
    ``cond='bn'``, ``bn1/class_gamma`` of (n_classes, ch/2); with
    ``cond='concat'`` ``l0/W``'s inputs are n_hidden + n_classes. With
    ``upsample='nearest'`` the ``dcK/W`` are 3x3 convolutions, (ch/2, ch, 3, 3).
    """
    def shape(name):
        return tuple(shapes.get(prefix + name, ()))

    l0, dc1 = shape('l0/W'), shape('dc1/W')
    if len(l0) != 2 or len(dc1) != 4:
        raise ModelFileError(
            '{}: l0/W has shape {} and dc1/W {}; a generator has l0/W of shape '
            '(bottom_width**2 * ch, n_hidden) and dc1/W of (ch, ch/2, 4, 4)'
            .format(path, l0, dc1))
    # upsample='nearest' makes dc1 a 3x3 convolution, (ch/2, ch, 3, 3).
    nearest = dc1[2:] == (3, 3)
    n_hidden, ch = l0[1], dc1[1] if nearest else dc1[0]
    stages = 1
    while prefix + 'dc%d/W' % (stages + 1) in shapes:
        stages += 1
    n_stages = stages - 1
    last = shape('dc%d/W' % stages)
    side = math.isqrt(l0[0] // ch) if l0[0] % ch == 0 else 0
    if n_stages < 1 or len(last) != 4 or side * side * ch != l0[0]:
        raise ModelFileError(
            '{}: found l0/W {}, dc1/W {} and {} deconvolutions ending in {}; '
            'expected l0/W of (bottom_width**2 * ch, n_hidden) with ch = dc1/W\'s '
            'first axis ({}) and at least two deconvolutions'.format(
                path, l0, dc1, stages, last, ch))
    config = dict(n_hidden=n_hidden, resolution=side * 2 ** n_stages, ch=ch,
                  out_channels=last[1], n_stages=n_stages, bottom_width=side)
    if nearest:
        config['upsample'] = 'nearest'
    table = shape('bn1/class_gamma')
    if class_names is None and table:
        class_names = ['class{}'.format(k) for k in range(table[0])]
    if class_names is not None:
        n_classes = len(class_names)
        cond = 'bn' if table else 'concat'
        if cond == 'concat':
            config['n_hidden'] = n_hidden - n_classes
        config.update(n_classes=n_classes, cond=cond, class_names=list(class_names))
    return config


def stored_class_names(npz, prefix='', path='file'):
    """The class names a conditional generator's file carries, or None."""
    name = prefix + CLASS_NAMES_KEY
    if name not in npz.files:
        return None
    array = npz[name]
    try:
        if array.ndim != 1 or array.dtype != numpy.uint8:
            raise ValueError(array.dtype)
        return decode_names(array)
    except (ValueError, UnicodeDecodeError):
        raise ModelFileError('{}: {} should hold UTF-8 class names, found {} {}'.format(
            path, name, array.dtype, array.shape)) from None


def generator_kwargs(config, source='config'):
    """Check a recorded generator config against Generator's arguments."""
    if not isinstance(config, dict):
        raise ModelFileError('{}: the generator config must be a JSON object, '
                             'got {!r}'.format(source, config))
    accepted = set(inspect.signature(Generator.__init__).parameters) - {'self'}
    unknown = sorted(set(config) - accepted)
    if unknown:
        raise ModelFileError(
            '{}: records generator settings {} that this version of '
            'dcgan.models.nets.Generator does not take (it takes {})'.format(
                source, ', '.join(unknown), ', '.join(sorted(accepted))))
    return dict(config)


def read_config(path):
    """The generator part of a ``config.json``: ``{"gen": {...}}`` as the
    training CLI writes it, or a bare dict of Generator arguments."""
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ModelFileError('{}: cannot be read as JSON ({})'.format(path, e)) from None
    if isinstance(data, dict) and 'gen' in data:
        data = data['gen']
    return generator_kwargs(data, path)


def config_beside(model_path):
    """``config.json`` in the model file's folder, or None."""
    candidate = os.path.join(os.path.dirname(os.path.abspath(model_path)), CONFIG_NAME)
    return candidate if os.path.isfile(candidate) else None


def save_config(path, gen=None, dis=None, **extra):
    """Write ``{"gen": gen.config(), "dis": dis.config(), **extra}`` as JSON,
    atomically, so a saved generator can always be rebuilt."""
    record = {}
    if gen is not None:
        record['gen'] = gen.config()
    if dis is not None:
        record['dis'] = dis.config()
    record.update(extra)
    text = json.dumps(record, indent=2, sort_keys=True, default=str) + '\n'

    def write(tmp):
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)
    return imaging.atomic_write(path, write)


# -- loading ------------------------------------------------------------------

class LoadedGenerator(object):
    """A generator read from a file, with where its pieces came from."""

    def __init__(self, gen, path, prefix, config, config_source):
        self.gen = gen
        self.path = path
        self.prefix = prefix
        self.config = config
        self.config_source = config_source  # a file name or 'array shapes'


def load_generator(path, config=None, config_path=None, use_config=True,
                   prefix=None, device=None):
    """Build a :class:`~dcgan.models.nets.Generator` and load its weights from
    ``path`` (a generator ``.npz`` or a trainer snapshot).

    The architecture is ``config`` (Generator arguments) if given, else the
    generator part of ``config_path``, else (when ``use_config``) the
    ``config.json`` beside ``path``, else what the array shapes imply.
    Returns a :class:`LoadedGenerator`; raises :class:`ModelFileError`.
    """
    with open_npz(path) as npz:
        names = npz.files
        prefix = find_generator_prefix(names, path, prefix)
        source = 'array shapes'
        if config is not None:
            config, source = generator_kwargs(config, 'the given config'), 'the given config'
        elif config_path is not None:
            config, source = read_config(config_path), config_path
        elif use_config and config_beside(path):
            source = config_beside(path)
            config = read_config(source)
        else:
            shapes = {n: member_header(npz, n)[0] for n in names if n.startswith(prefix)}
            config = infer_generator_config(shapes, prefix, path,
                                            stored_class_names(npz, prefix, path))
        try:
            gen = Generator(**config)
        except (ArchitectureError, TypeError, ValueError) as e:
            raise ModelFileError('{}: cannot build a generator from {} ({})'
                                 .format(path, source, e)) from None
        _copy_arrays(gen, npz, prefix, path, source)
    if device is not None:
        gen.to_device(device)
    return LoadedGenerator(gen, path, prefix, config, source)


def _copy_arrays(gen, npz, prefix, path, source):
    reader = _CheckedReader(npz, prefix)
    gen.serialize(reader)
    # Arrays the generator never asked for mean a different network (or a
    # link hook such as spectral norm) that would silently draw wrong images.
    extra = sorted(n for n in npz.files if n.startswith(prefix) and n not in reader.used)
    if extra:
        reader.problems.append('{} array(s) it has no place for ({})'.format(
            len(extra), ', '.join(extra[:3])))
    if reader.problems:
        # Weights first, in layer order: they show the architecture best.
        problems = sorted(reader.problems, key=lambda p: ('/W ' not in p, p))
        shown = '; '.join(problems[:3])
        more = len(problems) - 3
        if more > 0:
            shown += ' and {} more'.format(more)
        raise ModelFileError(
            '{}: does not fit the generator described by {} ({}): {}; use the '
            'config.json of the run that saved it, or none to work the '
            'architecture out from the arrays'.format(
                path, source, _describe(gen.config()), shown))


def _describe(config):
    return ', '.join('{}={}'.format(k, config[k]) for k in sorted(config))


class _CheckedReader(object):
    """A Chainer deserializer that copies arrays only after checking their
    shapes, collecting every problem instead of stopping at the first."""

    def __init__(self, npz, prefix, problems=None, used=None):
        self.npz = npz
        self.prefix = prefix
        self.problems = [] if problems is None else problems
        self.used = set() if used is None else used

    def __getitem__(self, key):
        return _CheckedReader(self.npz, self.prefix + key + '/', self.problems, self.used)

    def __call__(self, key, value):
        name = self.prefix + key
        self.used.add(name)
        if name not in self.npz.files:
            if key not in _OPTIONAL:
                self.problems.append('{} is missing'.format(name))
            return value
        stored = self.npz[name]
        if isinstance(value, numpy.ndarray):
            if stored.shape != value.shape:
                self.problems.append('{} has shape {}, expected {}'.format(
                    name, stored.shape, value.shape))
            elif stored.dtype.kind not in 'fiu':
                self.problems.append('{} holds {}, not numbers'.format(name, stored.dtype))
            else:
                numpy.copyto(value, stored, casting='unsafe')
            return value
        if value is None:
            return stored
        if stored.shape != () or stored.dtype.kind not in 'fiub':
            self.problems.append('{} should be a single number, found {} {}'.format(
                name, stored.dtype, stored.shape))
            return value
        return type(value)(stored[()])
