"""Opening ``.npz`` model files without ever unpickling anything.

Arrays are read with ``allow_pickle=False``, and a file holding pickled
Python objects, or one that is truncated or not an archive at all, is
refused with :class:`ModelFileError` and a sentence naming it.
"""
import contextlib
import os
import zipfile
import zlib

import numpy
import numpy.lib.format as npy_format

_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError,
                ValueError, KeyError)


class ModelFileError(ValueError):
    """A model or config file that cannot be used, with the reason."""


@contextlib.contextmanager
def open_npz(path):
    """Open an ``.npz`` file for reading without unpickling anything.

    Yields a ``numpy.lib.npyio.NpzFile``. Raises :class:`ModelFileError`
    naming the file if it is missing, is not an ``.npz`` archive, is
    truncated or corrupt, or holds pickled Python objects.
    """
    if not os.path.isfile(path):
        raise ModelFileError('{}: no such file'.format(path))
    try:
        npz = numpy.load(path, allow_pickle=False)
    except ValueError as e:
        if 'pickle' in str(e):
            raise ModelFileError(_pickled(path)) from None
        raise ModelFileError(_unreadable(path, e)) from None
    except _READ_ERRORS as e:
        raise ModelFileError(_unreadable(path, e)) from None
    if not isinstance(npz, numpy.lib.npyio.NpzFile):
        raise ModelFileError(
            '{}: holds a single array of shape {}, not the named arrays of a '
            'generator (an .npz file written by chainer.serializers.save_npz)'
            .format(path, getattr(npz, 'shape', '?')))
    with npz:
        try:
            _refuse_objects(npz, path)
            yield npz
        except ModelFileError:
            raise
        except _READ_ERRORS as e:
            raise ModelFileError(_unreadable(path, e)) from None


def _pickled(path):
    return ('{}: holds pickled Python objects, which are never loaded because '
            'unpickling can run code; a generator file holds only number '
            'arrays (save it with chainer.serializers.save_npz)'.format(path))


def _unreadable(path, error):
    return ('{}: is not a readable .npz file ({}: {}); it may be truncated or '
            'still being written, so use a complete gen_iter_N.npz or '
            'snapshot_iter_N file'.format(path, type(error).__name__, error))


def member_header(npz, name):
    """(shape, fortran_order, dtype) of array ``name`` in an open npz file,
    from its header alone: cheap even for a large snapshot."""
    member = name if name.endswith('.npy') else name + '.npy'
    with npz.zip.open(member) as f:
        version = npy_format.read_magic(f)
        if version == (1, 0):
            return npy_format.read_array_header_1_0(f)
        if version == (2, 0):
            return npy_format.read_array_header_2_0(f)
        return npy_format._read_array_header(f, version)


def _refuse_objects(npz, path):
    for member in npz.zip.namelist():
        if member_header(npz, member)[2].hasobject:
            raise ModelFileError(_pickled(path))
