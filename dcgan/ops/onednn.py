"""oneDNN direct convolutions on dcgan's channels-last float32 arrays (optional).

The im2col + GEMM path copies every input k*k times into column matrices
and (for the transposed convolutions) adds them back; oneDNN's direct
kernels read the channels-last memory as it is (tagged ``nhwc``), so no
columns and no layout copies are made. Three calls cover every node:
``forward`` (a convolution), ``backward_data`` (a transposed convolution,
i.e. the input gradient of a convolution) and ``backward_weights``.

Weights stay Chainer's OIHW arrays; they are reordered into the layout the
kernel picked on every call (they change at every optimizer step, and a
reorder is cheap next to the convolution). Primitives are built once per
(direction, shapes, stride, padding) and kept.

Nothing here raises when the library is missing: ``available()`` is False
and ``unavailable_reason()`` says why, and the nodes keep their NumPy code.
"""
import ctypes
import os
import threading
import time

import numpy

from dcgan.ops import onednn_api as api
from dcgan.ops import threads
from dcgan.ops.layout import channels_last

_state = {'lib': None, 'reason': None, 'tried': False, 'threads': None,
          'load_seconds': 0.0, 'primitives': 0, 'create_seconds': 0.0}
_load_lock = threading.Lock()
# One lock for all executions: a cached primitive's memory objects get the
# caller's data pointers just before it runs.
_run_lock = threading.Lock()
_cache = {}
MAX_CACHED = 256  # distinct shapes; beyond this the cache starts afresh


def _set_threads(lib):
    """oneDNN runs on libgomp's team: as many threads as the project uses
    (the cores it may run on), unless the user chose OMP_NUM_THREADS."""
    try:
        gomp = ctypes.CDLL('libgomp.so.1')
        if 'OMP_NUM_THREADS' not in os.environ:
            gomp.omp_set_num_threads(ctypes.c_int(threads.n_workers()))
        return int(gomp.omp_get_max_threads())
    except (OSError, AttributeError):
        return None


def _forget_in_child():
    # GNU OpenMP's thread pool does not survive fork(): the child's first
    # parallel region waits forever for the parent's threads. A child of a
    # process that used oneDNN therefore runs the NumPy path. Primitives are
    # dropped without being destroyed (nothing of the parent's is touched).
    global _run_lock, _load_lock
    _run_lock, _load_lock = threading.Lock(), threading.Lock()
    if _state['lib'] is not None:
        _orphans.append(list(_cache.values()))
        _cache.clear()
        _state['lib'] = None
        _state['reason'] = ('not used in a forked child of a process that used '
                            "it (GNU OpenMP's threads do not survive fork)")


_orphans = []
if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_forget_in_child)


def library():
    """The loaded ``onednn_api.Library``, or None (the reason is kept)."""
    if not _state['tried']:
        with _load_lock:
            if not _state['tried']:
                start = time.perf_counter()
                try:
                    _state['lib'] = api.load()
                    _state['threads'] = _set_threads(_state['lib'])
                except Exception as error:  # any failure means: not used
                    _state['reason'] = '{}: {}'.format(type(error).__name__, error)
                _state['load_seconds'] = time.perf_counter() - start
                _state['tried'] = True
    return _state['lib']


def available():
    return library() is not None


def unavailable_reason():
    library()
    return _state['reason'] or ''


def describe():
    """Version, file and threads, for benchmark headers."""
    lib = library()
    if lib is None:
        return 'oneDNN absent: ' + unavailable_reason()
    return 'oneDNN {}.{}.{} ({}, loaded in {:.0f} ms), {} OpenMP threads'.format(
        *(lib.version + (lib.path, 1e3 * _state['load_seconds'], _state['threads'])))


def creation_stats():
    """(primitives built so far, seconds spent building them)."""
    return _state['primitives'], _state['create_seconds']


def usable(*arrays):
    """Whether these arrays can go to oneDNN: float32 numpy, library loaded."""
    return (all(isinstance(a, numpy.ndarray) and a.dtype == numpy.float32
                for a in arrays if a is not None)
            and available())


def _nhwc(b, c, h, w):
    # (B, C, H, W) dims over channels-last memory.
    return (b, c, h, w), (h * w * c, 1, w * c, c)


def _plain(shape):
    strides = numpy.cumprod((1,) + tuple(shape[:0:-1]))[::-1]
    return tuple(shape), tuple(int(s) for s in strides)


class _Primitive(object):
    """One convolution primitive, its weight reorder and memory objects."""

    def __init__(self, lib, direction, x_shape, w_shape, y_shape, stride,
                 pad_l, pad_r, bias):
        self.lib = lib
        self.owned = []  # (destroy function, handle)
        md = self._md
        x_md = md(*_nhwc(*x_shape))
        y_md = md(*_nhwc(*y_shape))
        w_user = md(*_plain(w_shape))
        w_any = self._own('dnnl_memory_desc_destroy', lib.any_layout_desc(w_shape))
        b_md = md((w_shape[0],), (1,)) if bias else None
        geometry = (api.Dims(*stride), api.Dims(0, 0), api.Dims(*pad_l),
                    api.Dims(*pad_r))
        fwd = self._own('dnnl_primitive_desc_destroy', lib.new(
            'dnnl_convolution_forward_primitive_desc_create', lib.engine,
            api.FORWARD_TRAINING, api.CONVOLUTION_DIRECT, x_md, w_any, b_md,
            y_md, *geometry, None))
        if direction == 'forward':
            pd = fwd
            args = [(api.ARG_SRC, x_md), (api.ARG_DST, y_md)]
            if bias:
                args.append((api.ARG_BIAS, b_md))
        elif direction == 'backward_data':
            pd = self._own('dnnl_primitive_desc_destroy', lib.new(
                'dnnl_convolution_backward_data_primitive_desc_create',
                lib.engine, api.CONVOLUTION_DIRECT, x_md, w_any, y_md,
                *geometry, fwd, None))
            args = [(api.ARG_DIFF_SRC, x_md), (api.ARG_DIFF_DST, y_md)]
        else:
            pd = self._own('dnnl_primitive_desc_destroy', lib.new(
                'dnnl_convolution_backward_weights_primitive_desc_create',
                lib.engine, api.CONVOLUTION_DIRECT, x_md, w_any, None, y_md,
                *geometry, fwd, None))
            args = [(api.ARG_SRC, x_md), (api.ARG_DIFF_DST, y_md)]
        self.impl = lib.impl_name(pd)
        w_query = (api.QUERY_DIFF_WEIGHTS_MD if direction == 'backward_weights'
                   else api.QUERY_WEIGHTS_MD)
        w_kernel = lib.lib.dnnl_primitive_desc_query_md(pd, w_query, 0)
        w_arg = api.ARG_DIFF_WEIGHTS if direction == 'backward_weights' else api.ARG_WEIGHTS
        self.weights_out = direction == 'backward_weights'
        self.reorder = None
        if lib.lib.dnnl_memory_desc_equal(w_kernel, w_user):
            args.append((w_arg, w_user))
            self.user_w_mem = None
        else:
            # The kernel's weight layout lives in a buffer of ours; a reorder
            # fills it from OIHW (or, for the gradient, empties it into OIHW).
            size = lib.lib.dnnl_memory_desc_get_size(w_kernel)
            self.buffer = numpy.empty(-(-size // 4), numpy.float32)
            src, dst = (w_kernel, w_user) if self.weights_out else (w_user, w_kernel)
            rpd = self._own('dnnl_primitive_desc_destroy', lib.new(
                'dnnl_reorder_primitive_desc_create', src, lib.engine, dst,
                lib.engine, None))
            self.reorder = self._own('dnnl_primitive_destroy',
                                     lib.new('dnnl_primitive_create', rpd))
            kernel_mem = self._memory(w_kernel, self.buffer.ctypes.data)
            self.user_w_mem = self._memory(w_user, None)
            self.reorder_args = (api.ExecArg * 2)(
                api.ExecArg(api.ARG_FROM, self.user_w_mem if not self.weights_out
                            else kernel_mem),
                api.ExecArg(api.ARG_TO, kernel_mem if not self.weights_out
                            else self.user_w_mem))
            args.append((w_arg, None))
            self.kernel_w_mem = kernel_mem
        self.prim = self._own('dnnl_primitive_destroy', lib.new('dnnl_primitive_create', pd))
        # Memory objects in the order execute() receives the arrays:
        # x-side, y-side, [bias], weights.
        self.mems = []
        for arg, desc in args:
            mem = self.kernel_w_mem if desc is None else self._memory(desc, None)
            self.mems.append((arg, mem))
        self.exec_args = (api.ExecArg * len(self.mems))(
            *[api.ExecArg(arg, mem) for arg, mem in self.mems])

    def _own(self, destroy, handle):
        self.owned.append((destroy, handle))
        return handle

    def _md(self, shape, strides):
        return self._own('dnnl_memory_desc_destroy', self.lib.memory_desc(shape, strides))

    def _memory(self, desc, pointer):
        return self._own('dnnl_memory_destroy', self.lib.new(
            'dnnl_memory_create', desc, self.lib.engine, pointer))

    def run(self, arrays, weights):
        """``arrays``: the x-side, y-side (and bias) buffers in args order;
        ``weights``: the OIHW array read (or, backward_weights, written)."""
        lib, call = self.lib, self.lib.call
        with _run_lock:
            for (_, mem), a in zip(self.mems, arrays):
                call('dnnl_memory_set_data_handle', mem, a.ctypes.data)
            if self.reorder is None:
                call('dnnl_memory_set_data_handle', self.mems[-1][1], weights.ctypes.data)
            else:
                call('dnnl_memory_set_data_handle', self.user_w_mem, weights.ctypes.data)
                if not self.weights_out:
                    call('dnnl_primitive_execute', self.reorder, lib.stream, 2,
                         self.reorder_args)
            call('dnnl_primitive_execute', self.prim, lib.stream,
                 len(self.exec_args), self.exec_args)
            if self.reorder is not None and self.weights_out:
                call('dnnl_primitive_execute', self.reorder, lib.stream, 2,
                     self.reorder_args)
            call('dnnl_stream_wait', lib.stream)

    def __del__(self):
        try:
            for destroy, handle in reversed(self.owned):
                getattr(self.lib.lib, destroy)(handle)
        except Exception:  # interpreter shutdown: the process frees it all
            pass
        self.owned = []


def _pad_r(in_size, out_size, k, s, p):
    # The right/bottom padding that makes in_size map onto out_size.
    return (out_size - 1) * s + k - in_size - p


def primitive(direction, x_shape, w_shape, y_shape, stride, pad, bias=False):
    """The cached primitive for a convolution x -> y with OIHW weights of
    ``w_shape``, or None when oneDNN does not cover the case."""
    key = (direction, tuple(x_shape), tuple(w_shape), tuple(y_shape),
           tuple(stride), tuple(pad), bias)
    found = _cache.get(key, False)
    if found is not False:
        return found
    lib = library()
    pad_r = tuple(_pad_r(x_shape[2 + i], y_shape[2 + i], w_shape[2 + i],
                         stride[i], pad[i]) for i in range(2))
    prim = None
    start = time.perf_counter()
    if lib is not None and min(pad_r) >= 0 and min(pad) >= 0:
        try:
            prim = _Primitive(lib, direction, x_shape, w_shape, y_shape,
                              stride, pad, pad_r, bias)
        except api.Error:
            prim = None  # not implemented for this case: the GEMM path runs
    with _run_lock:
        _state['primitives'] += prim is not None
        _state['create_seconds'] += time.perf_counter() - start
        if len(_cache) >= MAX_CACHED:
            _cache.clear()  # freed once no caller holds them
        _cache[key] = prim
    return prim


# Where im2col + GEMM (OpenBLAS) beat oneDNN 3.2's kernels, measured per
# layer of the DCGAN nets on a 2-core AVX2 EPYC (ch 512; 32 px batch 50 and
# 96 px batch 10, the two paths interleaved): backward-weights ('jit:avx2')
# won only on the image layers (3 channels: 1.04-1.75x) and lost on the rest
# (0.45-0.93x, except a few 16x16 maps at batch 50), and the strided
# backward-data onto a 4x4 map lost (0.5-1.04x). Everything else is 1.0-3.6x
# faster on oneDNN. ``ROUTE_BY_LAYER = False`` sends every case here.
# Narrow layers, as in the demo's --ch 128 nets, are the other way round: on
# a 2-core Zen 4 EPYC (oneDNN's 'jit:avx2' kernel, 32 px batch 32),
# backward-weights with 32 or fewer channels on one side ran 1.11-1.78x
# faster than GEMM, and with 64 or more 0.82-1.08x
# (benchmarks/results/grad_w_route_20261203.txt; with --ch 512 --batch 50
# the GEMM side still won on the wide layers, 0.40-0.99x).
ROUTE_BY_LAYER = True
NARROW_CHANNELS = 32
SMALL_MAP = 16  # pixels


def preferred(direction, x_shape, w_shape, y_shape, stride):
    """Whether oneDNN is the faster path for this case (see above)."""
    if not ROUTE_BY_LAYER:
        return True
    if direction == 'backward_weights':
        return min(w_shape[:2]) <= NARROW_CHANNELS
    if direction == 'backward_data':
        return max(stride) == 1 or y_shape[2] * y_shape[3] > SMALL_MAP
    return True


def _out(shape):
    b, c, h, w = shape
    return numpy.empty((b, h, w, c), numpy.float32)


def forward(x, W, b, stride, pad, out_hw):
    """conv(x, W) + b as a C-contiguous (B, OH, OW, O) array, or None when
    not covered."""
    y_shape = (x.shape[0], W.shape[0]) + tuple(out_hw)
    if not preferred('forward', x.shape, W.shape, y_shape, stride):
        return None
    prim = primitive('forward', x.shape, W.shape, y_shape, stride, pad,
                     bias=b is not None)
    if prim is None:
        return None
    y = _out(y_shape)
    arrays = (channels_last(x), y) + (() if b is None else (numpy.ascontiguousarray(b),))
    prim.run(arrays, numpy.ascontiguousarray(W))
    return y


def backward_data(gy, W, stride, pad, x_hw):
    """The input gradient of conv(x, W) for output gradient ``gy``, i.e.
    the transposed convolution of ``gy``, as a C-contiguous (B, H, W, C)
    array; or None."""
    x_shape = (gy.shape[0], W.shape[1]) + tuple(x_hw)
    if not preferred('backward_data', x_shape, W.shape, gy.shape, stride):
        return None
    prim = primitive('backward_data', x_shape, W.shape, gy.shape, stride, pad)
    if prim is None:
        return None
    gx = _out(x_shape)
    prim.run((gx, channels_last(gy)), numpy.ascontiguousarray(W))
    return gx


def backward_weights(x, gy, ksize, stride, pad):
    """The OIHW weight gradient (C-contiguous) of conv(x, W); or None."""
    w_shape = (gy.shape[1], x.shape[1]) + tuple(ksize)
    if not preferred('backward_weights', x.shape, w_shape, gy.shape, stride):
        return None
    prim = primitive('backward_weights', x.shape, w_shape, gy.shape, stride, pad)
    if prim is None:
        return None
    gw = numpy.empty(w_shape, numpy.float32)
    prim.run((channels_last(x), channels_last(gy)), gw)
    return gw
