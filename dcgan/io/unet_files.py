"""pix2pix generator files: the U-Net inside a file, rebuilt from the file alone.

A file is a ``gen_iter_N.npz`` / ``gen_ema_iter_N.npz`` of ``dcgan-pix2pix``
or one of its trainer snapshots (the U-Net under ``updater/model:gen/``).
It is read by ``dcgan.io.npz_files`` (no unpickling; truncated files
refused). The architecture comes from the run's ``config.json`` beside the
file when it records a pix2pix run, otherwise from the arrays: ``down0/W``
is (ngf, in_channels, 4, 4), the ``down{k}`` count is the depth, ``up0/W``
is (2 ngf, out_channels, 4, 4), ``down1_norm/avg_mean`` means batch norm and
``down1_norm/gamma`` alone instance norm; the dropout ratio and training
size are saved in the file itself.
"""
import inspect
import json

from dcgan.io.model_files import (CONFIG_NAME, SNAPSHOT_PREFIX, LoadedGenerator, _copy_arrays,
                                  config_beside, generator_prefixes)
from dcgan.io.npz_files import ModelFileError, member_header, open_npz
from dcgan.models.nets import ArchitectureError
from dcgan.models.unet import UNetGenerator

MODEL = 'pix2pix'
_MARKERS = ('down0/W', 'up0/W')

__all__ = ['MODEL', 'load_unet', 'infer_unet_config', 'read_run_config']


def unet_prefix(names, path):
    """Where the U-Net's arrays are in a file's ``names``."""
    names = set(names)
    found = sorted(n[:-len(_MARKERS[0])] for n in names
                   if (n == _MARKERS[0] or n.endswith('/' + _MARKERS[0]))
                   and n[:-len(_MARKERS[0])] + _MARKERS[1] in names
                   and not n[:-len(_MARKERS[0])].startswith('updater/model:dis/'))
    for preferred in ('', SNAPSHOT_PREFIX):
        if preferred in found:
            return preferred
    if len(found) == 1:
        return found[0]
    if generator_prefixes(names):
        raise ModelFileError('{}: holds a DCGAN generator (l0/W, dc1/W), not a pix2pix U-Net; '
                             'translate takes the gen_iter_N.npz of dcgan-pix2pix (for a DCGAN '
                             'generator use walk.py)'.format(path))
    if not found:
        raise ModelFileError('{}: holds no pix2pix generator: expected arrays {} (at the top '
                             'level or under {}), found {} arrays such as {}'.format(
                                 path, ' and '.join(_MARKERS), SNAPSHOT_PREFIX, len(names),
                                 ', '.join(sorted(names)[:3]) or 'none'))
    raise ModelFileError('{}: holds several U-Nets ({})'.format(path, ', '.join(found)))


def infer_unet_config(shapes, prefix='', path='file', scalars=None):
    """UNetGenerator arguments from the arrays' ``shapes`` (and saved ``scalars``)."""
    def shape(name):
        return tuple(shapes.get(prefix + name, ()))
    first, last = shape('down0/W'), shape('up0/W')
    n_down = 0
    while prefix + 'down%d/W' % n_down in shapes:
        n_down += 1
    if len(first) != 4 or len(last) != 4 or n_down < 1:
        raise ModelFileError('{}: down0/W has shape {} and up0/W {}; a U-Net has 4x4 kernels '
                             'in both'.format(path, first, last))
    norm = 'none'
    if prefix + 'down1_norm/avg_mean' in shapes or prefix + 'up1_norm/avg_mean' in shapes:
        norm = 'batch'
    elif prefix + 'down1_norm/gamma' in shapes or prefix + 'up1_norm/gamma' in shapes:
        norm = 'instance'
    scalars = scalars or {}
    size = scalars.get('train_size')
    resolution = [int(v) for v in size] if size is not None else [2 ** n_down] * 2
    return dict(in_channels=first[1], out_channels=last[1], ngf=first[0], n_down=n_down,
                norm=norm, dropout=float(scalars.get('dropout_ratio', 0.5)),
                resolution=resolution)


def read_run_config(path):
    """The whole ``config.json`` of a pix2pix run, or None if it records another kind."""
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ModelFileError('{}: cannot be read as JSON ({})'.format(path, e)) from None
    if not isinstance(data, dict) or data.get('model') != MODEL:
        return None
    return data


def unet_kwargs(config, source):
    accepted = set(inspect.signature(UNetGenerator.__init__).parameters) - {'self'}
    if not isinstance(config, dict) or set(config) - accepted:
        raise ModelFileError('{}: records generator settings {} that UNetGenerator does not '
                             'take ({})'.format(source, sorted(set(config or {}) - accepted),
                                                ', '.join(sorted(accepted))))
    return dict(config)


def load_unet(path, config_path=None, use_config=True, device=None):
    """A :class:`~dcgan.io.model_files.LoadedGenerator` holding the U-Net of ``path``.

    ``config_path`` (a pix2pix run's config.json) wins; else, when
    ``use_config``, the one beside ``path``; else the arrays. Its
    ``run_config`` attribute is the whole recorded config (or None).
    """
    with open_npz(path) as npz:
        prefix = unet_prefix(npz.files, path)
        run_config, source = None, None
        candidate = config_path or (config_beside(path) if use_config else None)
        if candidate:
            run_config = read_run_config(candidate)
            if run_config is None and config_path:
                raise ModelFileError('{}: is not the {} of a dcgan-pix2pix run'.format(
                    config_path, CONFIG_NAME))
        if run_config is not None:
            config, source = unet_kwargs(run_config.get('gen'), candidate), candidate
        else:
            shapes = {n: member_header(npz, n)[0] for n in npz.files if n.startswith(prefix)}
            scalars = {k: npz[prefix + k] for k in ('train_size', 'dropout_ratio')
                       if prefix + k in npz.files}
            config, source = infer_unet_config(shapes, prefix, path, scalars), 'array shapes'
        try:
            gen = UNetGenerator(**config)
        except (ArchitectureError, TypeError, ValueError) as e:
            raise ModelFileError('{}: cannot build a U-Net from {} ({})'.format(
                path, source, e)) from None
        _copy_arrays(gen, npz, prefix, path, source)
    if device is not None:
        gen.to_device(device)
    loaded = LoadedGenerator(gen, path, prefix, config, source)
    loaded.run_config = run_config
    return loaded
