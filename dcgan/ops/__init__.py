"""Fast NumPy (CPU) versions of the few layers the DCGAN nets use.

Each module holds one idea; all are Chainer ``FunctionNode``s for numpy
arrays, differentiable twice (the backward passes are themselves built from
these nodes or from Chainer functions), so gradient penalties such as R1 work.

Layout: inside these ops feature maps live channels-last in memory
(B, H, W, C) and are handed to Chainer as (B, C, H, W) *views* of that
memory. Every convolution then becomes one GEMM whose result is already in
the layout the next op wants, so no transposes are paid between layers.
Code that receives these arrays sees ordinary (B, C, H, W) arrays; they are
just not C-contiguous.

``dcgan.models.layers`` decides when they are used; call them directly only with
numpy arrays.
"""
from dcgan.ops.activation import leaky_relu  # NOQA
from dcgan.ops.activation import relu  # NOQA
from dcgan.ops.add_noise import add_noise  # NOQA
from dcgan.ops.batch_norm import batch_norm_act  # NOQA
from dcgan.ops.batch_norm import fused_available as batch_norm_fused_available  # NOQA
from dcgan.ops.batch_norm import batch_normalization  # NOQA
from dcgan.ops.conv2d import convolution_2d  # NOQA
from dcgan.ops.deconv2d import deconvolution_2d  # NOQA
from dcgan.ops.upsample import upsample_nearest  # NOQA
