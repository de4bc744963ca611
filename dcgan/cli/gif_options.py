"""dcgan-train's flags for the latent-walk GIF and the progress GIF.

Both are on by default. The walk GIF (``walk/walk_iter_N.gif`` and the
latest as ``walk.gif``) walks through fixed keypoints at every snapshot, so
successive GIFs show the same walk improving. The progress GIF
(``progress.gif``) strings the preview grids together, and is completed
when training ends.
"""
from dcgan.cli.walk import grid_shape
from dcgan.models import latent


def add_arguments(parser):
    g = parser.add_argument_group('GIFs (latent walk, progress)')
    g.add_argument('--no-walk-gif', dest='walk_gif', action='store_false',
                   help='do not write walk/walk_iter_N.gif and walk.gif')
    g.add_argument('--walk-interval', type=int, default=None,
                   help='iterations between walk GIFs (default: --snapshot_interval)')
    g.add_argument('--walk-keypoints', type=int, default=4,
                   help='keypoints of the training walk')
    g.add_argument('--walk-frames', type=int, default=12,
                   help='frames from one keypoint to the next')
    g.add_argument('--walk-grid', type=grid_shape, default=(1, 1),
                   help='ROWSxCOLS independent walks in the training walk GIF')
    g.add_argument('--walk-interp', choices=latent.INTERPOLATIONS, default='slerp',
                   help='spherical or straight-line interpolation')
    g.add_argument('--walk-duration', type=int, default=80,
                   help='milliseconds per walk frame')
    g.add_argument('--no-progress-gif', dest='progress_gif', action='store_false',
                   help='do not write progress.gif from the preview grids')
    g.add_argument('--progress-duration', type=int, default=200,
                   help='milliseconds per progress frame')
    g.add_argument('--progress-max-frames', type=int, default=200,
                   help='most frames in progress.gif (evenly spaced over training)')


def check_arguments(args, parser):
    for flag in ('walk_interval', 'walk_keypoints', 'walk_frames', 'walk_duration',
                 'progress_duration', 'progress_max_frames'):
        value = getattr(args, flag)
        if value is not None and value < 1:
            parser.error('--{} must be a positive whole number, got {}'.format(
                flag.replace('_', '-'), value))
