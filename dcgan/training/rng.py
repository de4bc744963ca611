"""One random stream for training, saved in snapshots so resume is exact.

Chainer's example draws z and the discriminator noise from NumPy's global
RNG, which a snapshot does not save, so a resumed run diverges. Everything
random in a training step here comes from a ``TrainingRandom`` instead.
"""
import json

import chainer
import numpy

from dcgan.ops.gaussian import fill_normal
from dcgan.ops import threads

# Large normal draws are filled in pieces of this many numbers, each from its
# own generator seeded from the main stream, so the pieces can be drawn on
# all cores at once. The piece size is fixed (not the core count), so a seed
# gives the same numbers on any machine.
NORMAL_PIECE = 1 << 19


class TrainingRandom(object):
    """A seeded, serializable source of z, noise and flips on any device.

    Draws happen on the host with NumPy's PCG64 for numpy arrays. For CuPy
    arrays a CuPy generator seeded from the host stream is kept, so GPU runs
    are seeded too (bitwise resume is promised on the CPU only).
    """

    def __init__(self, seed=0):
        self.seed = seed
        self._host = numpy.random.default_rng(seed)
        self._device_rng = None

    @property
    def host(self):
        return self._host

    def _device(self, xp):
        if self._device_rng is None:
            self._device_rng = xp.random.RandomState(
                int(self._host.integers(2 ** 31)))
        return self._device_rng

    def uniform(self, shape, xp=numpy, low=-1.0, high=1.0, dtype=numpy.float32):
        if xp is numpy:
            return self._host.uniform(low, high, shape).astype(dtype, copy=False)
        return self._device(xp).uniform(low, high, shape).astype(dtype, copy=False)

    def normal(self, shape, xp=numpy, dtype=numpy.float32, scale=1.0):
        """Standard normal numbers times ``scale``."""
        if xp is not numpy:
            out = self._device(xp).standard_normal(shape, dtype=dtype)
            return out if scale == 1.0 else out * dtype(scale)
        out = numpy.empty(shape, dtype=numpy.float32)
        self._fill_normal(out.reshape(-1), scale)
        return out.astype(dtype, copy=False)

    def normal_like(self, a, scale=1.0):
        """Like ``normal(a.shape, scale=scale)``, laid out in memory like
        ``a`` (e.g. channels-last behind an NCHW shape), so that ``a +
        noise`` is one contiguous pass and keeps ``a``'s layout."""
        xp = chainer.backend.get_array_module(a)
        if xp is not numpy:
            return self.normal(a.shape, xp, a.dtype.type, scale)
        order = _memory_order(a)
        dense = numpy.empty([a.shape[k] for k in order], dtype=numpy.float32)
        self._fill_normal(dense.reshape(-1), scale)
        noise = dense.transpose(numpy.argsort(order))
        return noise.astype(a.dtype, copy=False)

    def add_normal(self, a, scale=1.0):
        """``a + normal_like(a, scale)`` (the same numbers), for a float32
        numpy array: each piece of noise is added while it is still in the
        cache, instead of writing the whole noise array out and reading it
        back for the add. Other arrays get exactly that expression."""
        order = _memory_order(a)
        dense_a = a.transpose(order)
        if (type(a) is not numpy.ndarray or a.dtype != numpy.float32
                or not dense_a.flags.c_contiguous):
            return a + self.normal_like(a, scale)
        out = numpy.empty(dense_a.shape, dtype=numpy.float32)
        self._fill_normal(out.reshape(-1), scale, addend=dense_a.reshape(-1))
        return out.transpose(numpy.argsort(order))

    def _fill_normal(self, flat, scale, addend=None):
        if flat.size < 2 * NORMAL_PIECE:
            fill_normal(self._host, flat, scale)
            if addend is not None:
                flat += addend
        else:
            self._parallel_normal(flat, scale, addend)

    def _parallel_normal(self, flat, scale, addend):
        # NumPy's generators and ufuncs release the GIL, so pieces drawn in
        # threads use every core (the draw is ~8 % of a CPU update).
        root = int(self._host.integers(2 ** 63))
        n_pieces = -(-flat.size // NORMAL_PIECE)

        def fill(pieces):
            for i in range(pieces.start, pieces.stop):
                s = slice(i * NORMAL_PIECE, (i + 1) * NORMAL_PIECE)
                fill_normal(numpy.random.default_rng([root, i]), flat[s], scale)
                if addend is not None:
                    flat[s] += addend[s]
        threads.parallel(fill, n_pieces, flat.size)

    def random(self, shape, xp=numpy):
        """Uniform floats in [0, 1), float32."""
        if xp is numpy:
            return self._host.random(shape, dtype=numpy.float32)
        return self._device(xp).random_sample(shape, dtype=numpy.float32)

    def serialize(self, serializer):
        # The bit generator state is a small dict of ints; store it as JSON
        # bytes in a uint8 array so it fits any Chainer serializer.
        # A deserializer is asked with None so the stored array (whose
        # length varies) is returned rather than copied into ours.
        if isinstance(serializer, chainer.serializer.Deserializer):
            stored = serializer('state', None)
            loaded = json.loads(bytes(numpy.asarray(stored, dtype=numpy.uint8)))
            self._host.bit_generator.state = loaded
            self._device_rng = None
        else:
            state = json.dumps(self._host.bit_generator.state).encode('utf-8')
            serializer('state', numpy.frombuffer(state, dtype=numpy.uint8))


def _memory_order(a):
    # The axes from slowest to fastest in memory: a transpose with that
    # order is C-contiguous when ``a`` is a permuted dense array.
    return sorted(range(a.ndim), key=lambda k: -a.strides[k])
