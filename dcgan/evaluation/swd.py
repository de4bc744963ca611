"""Sliced Wasserstein distance (SWD) between two image sets, no download.

Karras et al. (2018, progressive GANs): build a Laplacian pyramid of every
image, take random 7x7 patches ("descriptors") at each level, normalise
each level per colour channel, and compare the two sets' patch
distributions with the sliced Wasserstein distance (the mean over random
unit directions of the 1-D Wasserstein distance between the projections).
Lower is better; the fine levels measure texture and edges, the coarse
ones colour and layout. Reported x 1e3 and averaged over the levels (from
full resolution down to the first level smaller than 16 px), as there.

Differences from that code, deliberately:
- both sets are normalised with the *reference* (training) set's per-level
  channel means and deviations rather than each with its own, so a
  colour or contrast shift of the generated images counts;
- a fixed number of patches is drawn for each set (images sampled with
  replacement), so small training sets (50-300 images) work and numbers
  from different runs are comparable when the counts and seed match.

Everything here is pure NumPy on the host; the pyramid uses the 5-tap
binomial filter [1, 4, 6, 4, 1] / 16 with reflected borders.
"""
import numpy

SCALE = 1e3
PATCH = 7
PATCHES_PER_IMAGE = 64
MIN_LEVEL_RESOLUTION = 16
N_DIRECTIONS = 128
N_REPEATS = 4
_KERNEL = numpy.array([1, 4, 6, 4, 1], dtype=numpy.float32) / 16


class SWDError(ValueError):
    """Image sets SWD cannot compare."""


def as_float_images(images):
    """uint8 (0..255) or float (0..1) (N, C, H, W) -> float32 in [0, 1]."""
    images = numpy.asarray(images)
    if images.ndim != 4:
        raise SWDError('SWD needs images of shape (N, C, H, W), got {}'.format(images.shape))
    if images.dtype == numpy.uint8:
        return images.astype(numpy.float32) / 255
    return images.astype(numpy.float32)


def _blur(x, axis):
    pad = [(0, 0)] * x.ndim
    pad[axis] = (2, 2)
    padded = numpy.pad(x, pad, mode='reflect')
    n = x.shape[axis]
    out = numpy.zeros_like(x)
    for k, weight in enumerate(_KERNEL):
        out += weight * numpy.take(padded, numpy.arange(k, k + n), axis=axis)
    return out


def _blur2d(x):
    return _blur(_blur(x, 2), 3)


def pyr_down(x):
    """Blur and keep every second pixel: (N, C, H, W) -> (N, C, ceil(H/2), ceil(W/2))."""
    return _blur2d(x)[:, :, ::2, ::2]


def pyr_up(x, shape):
    """Upsample to ``shape`` (H, W) by zero insertion and blurring (x4)."""
    n, c = x.shape[:2]
    up = numpy.zeros((n, c) + tuple(shape), dtype=x.dtype)
    up[:, :, ::2, ::2] = x
    return _blur2d(up) * 4


def level_count(resolution, min_resolution=MIN_LEVEL_RESOLUTION):
    """Pyramid levels used for ``resolution``: sides >= ``min_resolution``
    (at least one level)."""
    count, side = 0, int(resolution)
    while side >= min_resolution:
        count += 1
        side //= 2
    return max(count, 1)


def laplacian_pyramid(images, levels):
    """List of ``levels`` arrays, finest first; the last is the low-pass
    residual, the others band-pass (image minus its blurred upsampled
    half-size version). Summing them back up restores the images."""
    x = as_float_images(images)
    pyramid = [x]
    for _ in range(1, levels):
        down = pyr_down(pyramid[-1])
        pyramid[-1] = pyramid[-1] - pyr_up(down, pyramid[-1].shape[2:])
        pyramid.append(down)
    return pyramid


def sample_patches(level, n_patches, rng, patch=PATCH):
    """``n_patches`` random patch x patch crops of (N, C, H, W) ``level``,
    images drawn with replacement -> (n_patches, C, patch, patch)."""
    n, c, h, w = level.shape
    if h < patch or w < patch:
        raise SWDError('images of {}x{} px are too small for {}x{} patches'.format(
            h, w, patch, patch))
    img = rng.integers(0, n, n_patches)
    top = rng.integers(0, h - patch + 1, n_patches)
    left = rng.integers(0, w - patch + 1, n_patches)
    rows = top[:, None] + numpy.arange(patch)[None, :]        # (P, patch)
    cols = left[:, None] + numpy.arange(patch)[None, :]
    out = level[img[:, None, None, None], numpy.arange(c)[None, :, None, None],
                rows[:, None, :, None], cols[:, None, None, :]]
    return out.astype(numpy.float32)


def random_directions(dim, rng, n_directions=N_DIRECTIONS * N_REPEATS):
    """(n_directions, dim) random unit vectors."""
    dirs = rng.standard_normal((n_directions, dim)).astype(numpy.float32)
    return dirs / numpy.sqrt(numpy.sum(dirs ** 2, axis=1, keepdims=True))


def sorted_projections(descriptors, directions):
    """(n_directions, P): each direction's projections, sorted."""
    proj = directions @ descriptors.T
    proj.sort(axis=1)
    return proj


def sliced_wasserstein(a, b, rng, n_directions=N_DIRECTIONS * N_REPEATS):
    """Mean over random unit directions of the 1-D Wasserstein-1 distance
    between the projections of descriptor sets ``a`` and ``b`` (same
    count, shape (P, D)): with equal counts that is the mean absolute
    difference of the sorted projections."""
    if a.shape != b.shape:
        raise SWDError('descriptor sets differ in shape: {} vs {}'.format(a.shape, b.shape))
    dirs = random_directions(a.shape[1], rng, n_directions)
    return float(numpy.mean(numpy.abs(sorted_projections(a, dirs)
                                      - sorted_projections(b, dirs))))


class SWDReference(object):
    """The reference (training) set's descriptors and statistics, computed
    once so repeated evaluations (a trainer extension) only pay for the
    generated side.

    ``n_images`` fixes the patch count (``n_images * patches_per_image`` per
    level) for both sides; ``seed`` fixes the patch positions and the
    projection directions.
    """

    def __init__(self, images, n_images=256, patches_per_image=PATCHES_PER_IMAGE,
                 seed=0, min_resolution=MIN_LEVEL_RESOLUTION):
        images = as_float_images(images)
        if images.shape[2] != images.shape[3]:
            raise SWDError('SWD expects square images, got {}x{}'.format(*images.shape[2:]))
        self.shape = images.shape[1:]
        self.n_patches = int(n_images) * int(patches_per_image)
        self.n_images = int(n_images)
        self.seed = int(seed)
        self.levels = level_count(images.shape[2], min_resolution)
        rng = numpy.random.default_rng([self.seed, 0])
        self.mean, self.std, self.directions, self.projections = [], [], [], []
        for k, level in enumerate(laplacian_pyramid(images, self.levels)):
            desc = sample_patches(level, self.n_patches, rng)
            mean = desc.mean(axis=(0, 2, 3), keepdims=True)
            std = desc.std(axis=(0, 2, 3), keepdims=True) + 1e-8
            desc = ((desc - mean) / std).reshape(self.n_patches, -1)
            # The same directions for every later call (seeded by level).
            dirs = random_directions(desc.shape[1], numpy.random.default_rng([self.seed, 2, k]))
            self.mean.append(mean)
            self.std.append(std)
            self.directions.append(dirs)
            self.projections.append(sorted_projections(desc, dirs))

    def distance_per_level(self, images):
        """SWD x 1e3 of ``images`` against the reference, one per level
        (finest first)."""
        images = as_float_images(images)
        if images.shape[1:] != self.shape:
            raise SWDError('generated images are {} but the reference images are {}'.format(
                images.shape[1:], self.shape))
        # The same patch positions as the reference (for equal image counts),
        # so a set compared with itself gives exactly 0.
        rng = numpy.random.default_rng([self.seed, 0])
        out = []
        for k, level in enumerate(laplacian_pyramid(images, self.levels)):
            desc = sample_patches(level, self.n_patches, rng)
            desc = ((desc - self.mean[k]) / self.std[k]).reshape(self.n_patches, -1)
            proj = sorted_projections(desc, self.directions[k])
            out.append(SCALE * float(numpy.mean(numpy.abs(proj - self.projections[k]))))
        return out

    def distance(self, images):
        """SWD x 1e3 averaged over pyramid levels (lower is better)."""
        return float(numpy.mean(self.distance_per_level(images)))


def swd(reference_images, images, n_images=256, seed=0):
    """SWD x 1e3 between two image sets (uint8 or [0, 1] float, NCHW)."""
    return SWDReference(reference_images, n_images=n_images, seed=seed).distance(images)
