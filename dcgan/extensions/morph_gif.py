"""Class-morph GIFs: one z per tile, the class moving through every class.

:class:`ClassMorphGif` is the class twin of the latent walk
(:class:`dcgan.extensions.walk_gif.LatentWalkGif`): at each trigger it
writes ``morph/morph_iter_N.gif`` and copies it to ``morph.gif``, where
each tile keeps its own fixed z while the generator's class weights move in
straight lines from class to class and back to the first (frame
``i * frames_per_segment`` is the pure ``classes[i]``). Same guarantees:
test mode, no backprop, no training RNG touched.
"""
import numpy

from dcgan.extensions.walk_gif import LatentWalkGif, render, walk_frames
from dcgan.models import conditional, latent


def morph_inputs(z_tiles, weights):
    """z and class weights of every image of a morph, frame-major:
    ``z_tiles`` (tiles, n_hidden), ``weights`` (frames, K)."""
    frames, tiles = len(weights), len(z_tiles)
    z = numpy.tile(z_tiles, (frames, 1))
    w = numpy.repeat(weights, tiles, axis=0)
    return z.astype(numpy.float32), w.astype(numpy.float32)


class ClassMorphGif(LatentWalkGif):
    """Writes a GIF morphing ``gen`` through ``classes`` (all by default)."""

    def __init__(self, gen, classes=None, frames_per_segment=12, grid=(1, 1), seed=0,
                 filename='morph/morph_iter_{iteration}.gif', latest='morph.gif', **kwargs):
        if not getattr(gen, 'n_classes', 0):
            raise ValueError('a class morph needs a conditional generator')
        super(ClassMorphGif, self).__init__(
            gen, n_keypoints=1, frames_per_segment=frames_per_segment, grid=grid,
            seed=seed, filename=filename, latest=latest, **kwargs)
        self.classes = list(range(gen.n_classes)) if classes is None else list(classes)
        self.weights = conditional.morph_weights(self.classes, gen.n_classes,
                                                 frames_per_segment, closed=True)
        # One fixed z per tile: the first keypoint of each of the grid's walks.
        self.z_tiles = self.keypoints[:, 0, :]

    def frames(self):
        z, w = morph_inputs(self.z_tiles, self.weights)
        images = render(self.gen, latent.as_generator_input(z), self.batch_size, w)
        return walk_frames(images, self.rows, self.cols, self.scale, self.gap)
