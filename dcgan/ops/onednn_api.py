"""ctypes bindings for the few oneDNN C API (v3) calls the convolutions need.

The library comes from the ``onednn-cpu-gomp`` wheel, which installs
``libdnnl.so.3`` into ``<prefix>/lib`` (not into site-packages, and not on
the loader's path), so it is found through the wheel's own file list.
Enum values are those of oneDNN 3.x's headers; the ABI keeps them across
3.x releases.
"""
import ctypes
import os
import sys

SUCCESS = 0
F32 = 3
CPU_ENGINE = 1
STREAM_IN_ORDER = 1
FORWARD_TRAINING = 64
CONVOLUTION_DIRECT = 1
QUERY_IMPL_INFO_STR = 8
QUERY_WEIGHTS_MD = 131
QUERY_DIFF_WEIGHTS_MD = 132
ARG_SRC, ARG_DST, ARG_WEIGHTS, ARG_BIAS = 1, 17, 33, 41
ARG_DIFF_SRC, ARG_DIFF_DST, ARG_DIFF_WEIGHTS = 129, 145, 161
ARG_FROM, ARG_TO = ARG_SRC, ARG_DST
MAX_NDIMS = 12
FORMAT_ANY = 1  # dnnl_format_tag_any: the primitive picks the layout

DISTRIBUTION = 'onednn-cpu-gomp'
SONAMES = ('libdnnl.so.3', 'libdnnl.so')

Dims = ctypes.c_int64 * MAX_NDIMS
_p = ctypes.c_void_p
_pp = ctypes.POINTER(ctypes.c_void_p)


class Error(RuntimeError):
    """A oneDNN call returned an error status."""


class ExecArg(ctypes.Structure):
    _fields_ = [('arg', ctypes.c_int), ('memory', ctypes.c_void_p)]


class Version(ctypes.Structure):
    _fields_ = [('major', ctypes.c_int), ('minor', ctypes.c_int),
                ('patch', ctypes.c_int), ('hash', ctypes.c_char_p),
                ('cpu_runtime', ctypes.c_uint), ('gpu_runtime', ctypes.c_uint)]


def candidate_paths():
    """Where the wheel's libdnnl may be: its RECORD first, then <prefix>/lib."""
    found = []
    try:
        from importlib import metadata
        dist = metadata.distribution(DISTRIBUTION)
        for f in dist.files or ():
            if os.path.basename(str(f)) in SONAMES:
                found.append(os.path.normpath(str(dist.locate_file(f))))
    except Exception:  # not installed, or metadata unreadable
        pass
    for prefix in (sys.prefix, sys.base_prefix):
        for name in SONAMES:
            found.append(os.path.join(prefix, 'lib', name))
    # The versioned name first: the same file, but the name the ABI promises.
    found.sort(key=lambda p: SONAMES.index(os.path.basename(p)))
    return [p for i, p in enumerate(found) if p not in found[:i]]


# name: (restype, argtypes); every dnnl_status_t call returns c_int.
_SIGNATURES = {
    'dnnl_version': (ctypes.POINTER(Version), []),
    'dnnl_engine_create': (ctypes.c_int, [_pp, ctypes.c_int, ctypes.c_size_t]),
    'dnnl_stream_create': (ctypes.c_int, [_pp, _p, ctypes.c_uint]),
    'dnnl_stream_wait': (ctypes.c_int, [_p]),
    'dnnl_memory_desc_create_with_strides': (
        ctypes.c_int, [_pp, ctypes.c_int, Dims, ctypes.c_int, Dims]),
    'dnnl_memory_desc_create_with_tag': (
        ctypes.c_int, [_pp, ctypes.c_int, Dims, ctypes.c_int, ctypes.c_int]),
    'dnnl_memory_desc_destroy': (ctypes.c_int, [_p]),
    'dnnl_memory_desc_equal': (ctypes.c_int, [_p, _p]),
    'dnnl_memory_desc_get_size': (ctypes.c_size_t, [_p]),
    'dnnl_memory_create': (ctypes.c_int, [_pp, _p, _p, _p]),
    'dnnl_memory_set_data_handle': (ctypes.c_int, [_p, _p]),
    'dnnl_memory_destroy': (ctypes.c_int, [_p]),
    'dnnl_convolution_forward_primitive_desc_create': (
        ctypes.c_int, [_pp, _p, ctypes.c_int, ctypes.c_int, _p, _p, _p, _p,
                       Dims, Dims, Dims, Dims, _p]),
    'dnnl_convolution_backward_data_primitive_desc_create': (
        ctypes.c_int, [_pp, _p, ctypes.c_int, _p, _p, _p,
                       Dims, Dims, Dims, Dims, _p, _p]),
    'dnnl_convolution_backward_weights_primitive_desc_create': (
        ctypes.c_int, [_pp, _p, ctypes.c_int, _p, _p, _p, _p,
                       Dims, Dims, Dims, Dims, _p, _p]),
    'dnnl_reorder_primitive_desc_create': (ctypes.c_int, [_pp, _p, _p, _p, _p, _p]),
    'dnnl_primitive_desc_query': (ctypes.c_int, [_p, ctypes.c_int, ctypes.c_int, _p]),
    'dnnl_primitive_desc_query_md': (_p, [_p, ctypes.c_int, ctypes.c_int]),
    'dnnl_primitive_desc_next_impl': (ctypes.c_int, [_p]),
    'dnnl_primitive_desc_destroy': (ctypes.c_int, [_p]),
    'dnnl_primitive_create': (ctypes.c_int, [_pp, _p]),
    'dnnl_primitive_execute': (ctypes.c_int, [_p, _p, ctypes.c_int,
                                              ctypes.POINTER(ExecArg)]),
    'dnnl_primitive_destroy': (ctypes.c_int, [_p]),
}


class Library(object):
    """The loaded libdnnl with typed functions, one CPU engine and stream."""

    def __init__(self, path):
        self.path = path
        self.lib = ctypes.CDLL(path)
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(self.lib, name)
            fn.restype, fn.argtypes = restype, argtypes
        v = self.lib.dnnl_version().contents
        self.version = (v.major, v.minor, v.patch)
        if v.major != 3:
            raise Error('{} is oneDNN {}.{}; these bindings need 3.x'.format(
                path, v.major, v.minor))
        self.engine = self.new('dnnl_engine_create', CPU_ENGINE, 0)
        self.stream = self.new('dnnl_stream_create', self.engine, STREAM_IN_ORDER)

    def call(self, name, *args):
        status = getattr(self.lib, name)(*args)
        if status != SUCCESS:
            raise Error('{} failed with oneDNN status {}'.format(name, status))

    def new(self, name, *args):
        """Call a creator whose first argument is the out-pointer."""
        handle = ctypes.c_void_p()
        self.call(name, ctypes.byref(handle), *args)
        return handle

    def memory_desc(self, shape, strides):
        """f32 descriptor of a plain array: dims and strides in elements."""
        n = len(shape)
        return self.new('dnnl_memory_desc_create_with_strides', n,
                        Dims(*shape), F32, Dims(*strides))

    def any_layout_desc(self, shape):
        return self.new('dnnl_memory_desc_create_with_tag', len(shape),
                        Dims(*shape), F32, FORMAT_ANY)

    def impl_name(self, pd):
        text = ctypes.c_char_p()
        self.call('dnnl_primitive_desc_query', pd, QUERY_IMPL_INFO_STR, 0,
                  ctypes.byref(text))
        return text.value.decode('ascii', 'replace')


def load():
    """The first candidate that loads; raises OSError or Error with every
    path tried when none does."""
    failures = []
    for path in candidate_paths():
        if not os.path.exists(path):
            continue
        try:
            return Library(path)
        except (OSError, AttributeError, Error) as error:
            failures.append('{}: {}'.format(path, error))
    if not failures:
        raise OSError('libdnnl not found (pip install onednn-cpu-gomp, the '
                      "'fast' extra, on Linux x86-64)")
    raise OSError('; '.join(failures))
