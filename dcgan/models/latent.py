"""Points and paths in the generator's latent space.

z is drawn from the training prior, uniform(-1, 1) per dimension. Arrays
here are host (NumPy) float32 of shape (..., n_hidden); the generator wants
(B, n_hidden, 1, 1), which :func:`as_generator_input` makes.

A walk visits K keypoints with N frames per segment. Frame ``k * N`` is
keypoint ``k`` exactly, and a closed walk ends one step before it is back at
the first keypoint, so a looping GIF of it has no visible seam.
"""
import numpy

INTERPOLATIONS = ('slerp', 'lerp')


class LatentError(ValueError):
    """Latent vectors or walk settings that cannot be used."""


def sample_z(count, n_hidden, seed=0):
    """``count`` z vectors from uniform(-1, 1), float32 (count, n_hidden).

    Uses its own ``numpy.random.default_rng(seed)``, never a global RNG,
    so drawing keypoints cannot change a training run.
    """
    rng = numpy.random.default_rng(_seed(seed))
    return rng.uniform(-1.0, 1.0, (int(count), int(n_hidden))).astype(numpy.float32)


def _seed(seed):
    # SeedSequence takes only non-negative integers; let any int be a seed.
    if isinstance(seed, (list, tuple)):
        return [int(s) % (1 << 64) for s in seed]
    return None if seed is None else int(seed) % (1 << 64)


def sample_keypoints(n_walks, n_keypoints, n_hidden, seed=0):
    """Keypoints of ``n_walks`` independent walks, (n_walks, K, n_hidden).

    The first walk's keypoints are the same whatever ``n_walks`` is, so a
    grid of walks starts with the single walk of the same seed.
    """
    z = sample_z(n_walks * n_keypoints, n_hidden, seed)
    return z.reshape(n_walks, n_keypoints, n_hidden)


def lerp(a, b, t):
    """Straight-line points between ``a`` and ``b``: (len(t), D)."""
    a, b, t = _prepare(a, b, t)
    out = (1.0 - t)[:, None] * a + t[:, None] * b
    return _exact_ends(out, a, b, t)


def slerp(a, b, t):
    """Spherical interpolation between ``a`` and ``b``: (len(t), D).

    The direction turns at a constant rate along the great circle between
    the two directions while the length goes linearly from |a| to |b|; for
    endpoints of equal length this is the classic slerp, whose points all
    keep that length. (A straight line would cut through the middle of the
    ball, where uniform z are rarely found.) Nearly parallel or zero-length
    endpoints fall back to :func:`lerp`.
    """
    a, b, t = _prepare(a, b, t)
    na, nb = numpy.linalg.norm(a), numpy.linalg.norm(b)
    if na == 0 or nb == 0:
        return lerp(a, b, t).astype(numpy.float32)
    ua, ub = a / na, b / nb
    omega = numpy.arccos(numpy.clip(numpy.dot(ua, ub), -1.0, 1.0))
    sin_omega = numpy.sin(omega)
    if sin_omega < 1e-6:
        return lerp(a, b, t).astype(numpy.float32)
    direction = (numpy.sin((1.0 - t) * omega)[:, None] * ua
                 + numpy.sin(t * omega)[:, None] * ub) / sin_omega
    length = (1.0 - t) * na + t * nb
    return _exact_ends(length[:, None] * direction, a, b, t)


def _prepare(a, b, t):
    a = numpy.asarray(a, dtype=numpy.float64).reshape(-1)
    b = numpy.asarray(b, dtype=numpy.float64).reshape(-1)
    if a.shape != b.shape:
        raise LatentError('cannot interpolate between z of {} and {} values'
                          .format(a.size, b.size))
    t = numpy.atleast_1d(numpy.asarray(t, dtype=numpy.float64))
    return a, b, t


def _exact_ends(out, a, b, t):
    # t == 0 and t == 1 give the endpoints bit for bit, not up to rounding.
    out[t == 0] = a
    out[t == 1] = b
    return out.astype(numpy.float32)


def interpolate(a, b, t, method='slerp'):
    """:func:`slerp` or :func:`lerp` by name."""
    if method == 'slerp':
        return slerp(a, b, t)
    if method == 'lerp':
        return lerp(a, b, t)
    raise LatentError('interpolation must be one of {}, not {!r}'.format(
        ', '.join(INTERPOLATIONS), method))


def walk_path(keypoints, frames_per_segment, method='slerp', closed=True):
    """The z of every frame of a walk through ``keypoints`` (K, D).

    Each segment has ``frames_per_segment`` frames starting at its first
    keypoint. ``closed`` walks back from the last keypoint to the first and
    gives K * N frames (the next frame would be frame 0 again); an open walk
    stops on the last keypoint: (K - 1) * N + 1 frames.
    """
    keypoints = numpy.asarray(keypoints, dtype=numpy.float32)
    if keypoints.ndim != 2 or len(keypoints) < 1:
        raise LatentError('keypoints must have shape (K, n_hidden), got {}'
                          .format(keypoints.shape))
    n = int(frames_per_segment)
    if n < 1:
        raise LatentError('frames per segment must be at least 1, got {}'.format(n))
    k = len(keypoints)
    if k == 1:
        return keypoints.copy()
    ends = list(range(1, k)) + ([0] if closed else [])
    t = numpy.arange(n) / float(n)
    pieces = [interpolate(keypoints[i - 1 if i else k - 1], keypoints[i], t, method)
              for i in ends]
    if not closed:
        pieces.append(keypoints[-1:])
    return numpy.concatenate(pieces).astype(numpy.float32)


def grid_walk_paths(keypoints, frames_per_segment, method='slerp', closed=True):
    """Walks of several keypoint sets (G, K, D) side by side: (frames, G, D)."""
    keypoints = numpy.asarray(keypoints, dtype=numpy.float32)
    if keypoints.ndim != 3:
        raise LatentError('grid keypoints must have shape (walks, K, n_hidden), '
                          'got {}'.format(keypoints.shape))
    paths = [walk_path(kp, frames_per_segment, method, closed) for kp in keypoints]
    return numpy.stack(paths, axis=1)


def dimension_traversal(base, dims, values):
    """z for a grid: row r varies dimension ``dims[r]`` of ``base`` over
    ``values`` (the columns), all other dimensions kept: (rows*cols, D)."""
    base = numpy.asarray(base, dtype=numpy.float32).reshape(-1)
    dims = [int(d) for d in dims]
    bad = [d for d in dims if not 0 <= d < base.size]
    if bad:
        raise LatentError('latent dimensions must be 0..{}, got {}'.format(
            base.size - 1, ', '.join(str(d) for d in bad)))
    values = numpy.asarray(values, dtype=numpy.float32).reshape(-1)
    z = numpy.repeat(base[None], len(dims) * len(values), axis=0)
    for r, d in enumerate(dims):
        z[r * len(values):(r + 1) * len(values), d] = values
    return z


def as_keypoints(z, n_hidden):
    """User-given z of shape (K, D), (K, D, 1, 1) or (G, K, D) -> float32
    (K, D) or (G, K, D), checked against the generator's ``n_hidden``."""
    z = numpy.asarray(z)
    if z.dtype.kind not in 'fiu':
        raise LatentError('z must hold numbers, got dtype {}'.format(z.dtype))
    if z.ndim == 4 and z.shape[2:] == (1, 1):
        z = z[:, :, 0, 0]
    if z.ndim not in (2, 3) or z.shape[-1] != n_hidden or 0 in z.shape:
        raise LatentError(
            'z has shape {}; expected (K, {n}), (K, {n}, 1, 1) or '
            '(walks, K, {n}) for this generator (n_hidden={n})'.format(
                z.shape, n=n_hidden))
    if not numpy.all(numpy.isfinite(z)):
        raise LatentError('z holds NaN or infinite values')
    return z.astype(numpy.float32)


def as_generator_input(z):
    """(B, D) -> (B, D, 1, 1), the shape the generator's first layer takes."""
    z = numpy.asarray(z, dtype=numpy.float32)
    return z.reshape(len(z), -1, 1, 1)
