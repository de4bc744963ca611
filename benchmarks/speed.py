"""Training speed: Chainer's example vs dcgan vs PyTorch, one process.

    python benchmarks/speed.py [--quick] [--sizes 32:50,96:10] [--ch 512]
                               [--iters 3] [--warmup 1] [--only NAMES]
                               [--malloc reuse|default] [--no-torch]
                               [--device @cupy:0] [--json FILE]

On the CPU by default; ``--device @cupy:0`` runs the trainers on that GPU
(PyTorch on its CUDA device; the GEMM-replay rows are CPU-only), waiting
for the GPU after every update. ``--json FILE`` also writes the rows.

For each resolution:batch pair, on the same uint8 batches, it times whole
training updates of

  chainer-example   Chainer's examples/dcgan written out below with plain
                    Chainer links and functions: its nets (float64
                    ``xp.random.randn`` noise in D), its update (D loss
                    backpropagated into G too, then the G loss), Adam(2e-4,
                    beta1=0.5) + WeightDecay(1e-4). The reference.
  dcgan example     dcgan.models.nets + dcgan.training.updater.DCGANUpdater(update_order=
                    'example'): the example's weights, with dcgan.ops and
                    dcgan.training.optimizers.Adam (the same arithmetic, threaded) on
                    numpy. Each backward is limited to the weights being
                    updated (chainer.grad), so it skips the example's wasted
                    work: the D loss does not reach G, the G loss does not
                    compute D's weight gradients.
  dcgan detached    the same with update_order='detached' (the default):
                    the same work and weights, in a different order, with
                    the fast backend (dcgan.ops.fast_backend: oneDNN
                    convolutions, numba passes) where installed.
  dcgan detached numpy
                    the same with fast_backend.use_fast_backend(False)
                    around each update: dcgan's NumPy ops only.
  dcgan no-ops      update_order='example' with dcgan.models.layers.use_fast_cpu
                    (False): our nets on Chainer's functions and Adam.
  pytorch           when torch imports: the same nets and the example's work
                    per update (D loss through D and G, G loss through D and
                    G, D and G weight gradients both times, Adam + L2 1e-4),
                    torch.set_num_threads(2).
  pytorch detached  the same nets with dcgan's work per update (the D loss
                    stops at the generated images; the G loss's image
                    gradient goes on into G): the like-for-like reference.
  numpy GEMM        a 2048^3 float32 matmul, the machine's reachable peak.
  GEMMs only        not a trainer: the matrix products of one 'dcgan
                    detached' update (captured from numpy.matmul, same shapes
                    and layouts) replayed alone through numpy.matmul. Its
                    img/s is what 'dcgan detached' would reach if every
                    other part of the update (im2col, col2im, batch norm,
                    activations, noise, Adam, Chainer) took no time.
  GEMMs torch.mm    the same products through torch.mm (PyTorch's BLAS):
                    what the same design would reach on that GEMM.

Variants are run in turn (one update each per round) so that load from
other processes hits them alike; warm-up updates are not timed. Figures are
the median over the rounds and the best (fastest) round, which on a shared
machine is the one least disturbed by others; the 1-minute load average
(mean over that variant's timed updates) is printed beside them.

FLOPs: F_G and F_D are 2 x multiply-adds of one forward pass of the
generator / discriminator per image (conv, deconv and linear layers only).
A layer's backward is counted as 2 x its forward (input and weight
gradient). The example's update runs D forward twice and backward twice for
the D loss, G forward once and backward once for the D loss, and D and G
backward once for the G loss: 8 F_D + 5 F_G per image. Limiting each
backward to the weights being updated ('pruned': every dcgan row and
'pytorch detached') skips the G backward of the D loss, D's weight gradient
in the G step and the image gradient of D's first layer in the D step:
about 7 F_D + 3 F_G. GFLOP/s is the work a variant did divided by its time.
"""
import argparse
import os
import statistics
import sys
import time

# dcgan before NumPy (and torch), so its OpenBLAS and OpenMP settings
# (dcgan/blas_threads.py) apply, to the torch rows too;
# `OPENBLAS_THREAD_TIMEOUT= OMP_WAIT_POLICY= python benchmarks/speed.py`
# measures without them.
try:
    import dcgan  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    import dcgan  # noqa: F401

import numpy  # noqa: E402

import chainer  # noqa: E402
from chainer import backend  # noqa: E402
import chainer.functions as F  # noqa: E402
import chainer.links as L  # noqa: E402

from dcgan import blas_threads  # noqa: E402
from dcgan.models import layers  # noqa: E402
from dcgan.models import nets  # noqa: E402
from dcgan.training import optimizers  # noqa: E402
from dcgan.data import to_float_batch  # noqa: E402
from dcgan.ops import fast_backend  # noqa: E402
from dcgan.ops import onednn  # noqa: E402
from dcgan.ops.malloc import reuse_freed_memory  # noqa: E402

try:
    from dcgan.training.updater import DCGANUpdater
except ImportError:  # not written yet: drive our nets by hand
    DCGANUpdater = None

N_HIDDEN = 100


# -- (1) Chainer's examples/dcgan, written out -------------------------------

def add_noise(h, sigma=0.2):
    xp = backend.get_array_module(h.array)
    if chainer.config.train:
        return h + sigma * xp.random.randn(*h.shape)
    return h


class ExampleGenerator(chainer.Chain):

    def __init__(self, n_hidden, bottom_width=4, ch=512, wscale=0.02):
        super(ExampleGenerator, self).__init__()
        self.n_hidden = n_hidden
        self.ch = ch
        self.bottom_width = bottom_width
        with self.init_scope():
            w = chainer.initializers.Normal(wscale)
            self.l0 = L.Linear(self.n_hidden, bottom_width * bottom_width * ch,
                               initialW=w)
            self.dc1 = L.Deconvolution2D(ch, ch // 2, 4, 2, 1, initialW=w)
            self.dc2 = L.Deconvolution2D(ch // 2, ch // 4, 4, 2, 1, initialW=w)
            self.dc3 = L.Deconvolution2D(ch // 4, ch // 8, 4, 2, 1, initialW=w)
            self.dc4 = L.Deconvolution2D(ch // 8, 3, 3, 1, 1, initialW=w)
            self.bn0 = L.BatchNormalization(bottom_width * bottom_width * ch)
            self.bn1 = L.BatchNormalization(ch // 2)
            self.bn2 = L.BatchNormalization(ch // 4)
            self.bn3 = L.BatchNormalization(ch // 8)

    def make_hidden(self, batchsize):
        return numpy.random.uniform(-1, 1, (batchsize, self.n_hidden, 1, 1)
                                    ).astype(numpy.float32)

    def forward(self, z):
        h = F.reshape(F.relu(self.bn0(self.l0(z))),
                      (len(z), self.ch, self.bottom_width, self.bottom_width))
        h = F.relu(self.bn1(self.dc1(h)))
        h = F.relu(self.bn2(self.dc2(h)))
        h = F.relu(self.bn3(self.dc3(h)))
        return F.sigmoid(self.dc4(h))


class ExampleDiscriminator(chainer.Chain):

    def __init__(self, bottom_width=4, ch=512, wscale=0.02):
        w = chainer.initializers.Normal(wscale)
        super(ExampleDiscriminator, self).__init__()
        with self.init_scope():
            self.c0_0 = L.Convolution2D(3, ch // 8, 3, 1, 1, initialW=w)
            self.c0_1 = L.Convolution2D(ch // 8, ch // 4, 4, 2, 1, initialW=w)
            self.c1_0 = L.Convolution2D(ch // 4, ch // 4, 3, 1, 1, initialW=w)
            self.c1_1 = L.Convolution2D(ch // 4, ch // 2, 4, 2, 1, initialW=w)
            self.c2_0 = L.Convolution2D(ch // 2, ch // 2, 3, 1, 1, initialW=w)
            self.c2_1 = L.Convolution2D(ch // 2, ch // 1, 4, 2, 1, initialW=w)
            self.c3_0 = L.Convolution2D(ch // 1, ch // 1, 3, 1, 1, initialW=w)
            self.l4 = L.Linear(bottom_width * bottom_width * ch, 1, initialW=w)
            self.bn0_1 = L.BatchNormalization(ch // 4, use_gamma=False)
            self.bn1_0 = L.BatchNormalization(ch // 4, use_gamma=False)
            self.bn1_1 = L.BatchNormalization(ch // 2, use_gamma=False)
            self.bn2_0 = L.BatchNormalization(ch // 2, use_gamma=False)
            self.bn2_1 = L.BatchNormalization(ch // 1, use_gamma=False)
            self.bn3_0 = L.BatchNormalization(ch // 1, use_gamma=False)

    def forward(self, x):
        h = add_noise(x)
        h = F.leaky_relu(add_noise(self.c0_0(h)))
        h = F.leaky_relu(add_noise(self.bn0_1(self.c0_1(h))))
        h = F.leaky_relu(add_noise(self.bn1_0(self.c1_0(h))))
        h = F.leaky_relu(add_noise(self.bn1_1(self.c1_1(h))))
        h = F.leaky_relu(add_noise(self.bn2_0(self.c2_0(h))))
        h = F.leaky_relu(add_noise(self.bn2_1(self.c2_1(h))))
        h = F.leaky_relu(add_noise(self.bn3_0(self.c3_0(h))))
        return self.l4(h)


def _example_optimizer(model):
    opt = chainer.optimizers.Adam(alpha=0.0002, beta1=0.5)
    opt.setup(model)
    opt.add_hook(chainer.optimizer_hooks.WeightDecay(0.0001), 'hook_dec')
    return opt


def _dcgan_optimizer(model):
    # What dcgan-train builds: the same Adam and L2 decay, threaded on CPU.
    opt = optimizers.Adam(alpha=0.0002, beta1=0.5, weight_decay=0.0001)
    opt.setup(model)
    return opt


class ExampleUpdate(object):
    """examples/dcgan/training/updater.py's update_core on a given uint8 batch."""

    def __init__(self, resolution, ch, device=None):
        self.device = device or chainer.get_device('@numpy')
        self.gen = ExampleGenerator(N_HIDDEN, resolution // 8, ch)
        self.dis = ExampleDiscriminator(resolution // 8, ch)
        self.gen.to_device(self.device)
        self.dis.to_device(self.device)
        self.opt_gen = _example_optimizer(self.gen)
        self.opt_dis = _example_optimizer(self.dis)

    @staticmethod
    def loss_dis(dis, y_fake, y_real):
        batchsize = len(y_fake)
        L1 = F.sum(F.softplus(-y_real)) / batchsize
        L2 = F.sum(F.softplus(y_fake)) / batchsize
        return L1 + L2

    @staticmethod
    def loss_gen(gen, y_fake):
        batchsize = len(y_fake)
        return F.sum(F.softplus(-y_fake)) / batchsize

    def __call__(self, batch):
        send = self.device.send
        x_real = chainer.Variable(send(batch.astype(numpy.float32))) / 255.
        batchsize = len(batch)
        y_real = self.dis(x_real)
        z = chainer.Variable(send(self.gen.make_hidden(batchsize)))
        x_fake = self.gen(z)
        y_fake = self.dis(x_fake)
        self.opt_dis.update(self.loss_dis, self.dis, y_fake, y_real)
        self.opt_gen.update(self.loss_gen, self.gen, y_fake)


# -- (2) this project ---------------------------------------------------------

class _Batches(chainer.dataset.Iterator):
    """A minimal iterator handing out prepared batches in a fixed order."""

    def __init__(self, batches):
        self.batches = batches
        self.batch_size = len(batches[0])
        self.i = 0
        self.epoch = 0
        self.is_new_epoch = False
        self.epoch_detail = 0.0

    def __next__(self):
        batch = self.batches[self.i % len(self.batches)]
        self.i += 1
        return batch

    next = __next__

    def finalize(self):
        pass

    def serialize(self, serializer):
        pass


class DcganUpdate(object):
    """dcgan's nets and updater; ``fast`` toggles dcgan.ops, ``backend``
    the compiled kernels behind them (dcgan.ops.fast_backend)."""

    def __init__(self, resolution, ch, batches, update_order, fast, seed,
                 device='@numpy', backend=True):
        self.gen = nets.Generator(resolution=resolution, ch=ch)
        self.dis = nets.Discriminator(resolution=resolution, ch=ch)
        self.gen.to_device(device)
        self.dis.to_device(device)
        make_optimizer = _dcgan_optimizer if fast else _example_optimizer
        self.opt_gen = make_optimizer(self.gen)
        self.opt_dis = make_optimizer(self.dis)
        self.fast = fast
        self.backend = backend
        self.update_order = update_order
        self.rng = None
        if DCGANUpdater is not None:
            self.updater = DCGANUpdater(
                iterator=_Batches(batches),
                optimizer={'gen': self.opt_gen, 'dis': self.opt_dis},
                models=(self.gen, self.dis), device=device,
                converter=to_float_batch, update_order=update_order,
                seed=seed)
        else:
            from dcgan.training.rng import TrainingRandom
            self.updater = None
            self.rng = TrainingRandom(seed)

    def _by_hand(self, batch):
        # The example's order on our nets, until DCGANUpdater exists.
        x_real = to_float_batch(batch)
        y_real = self.dis(x_real, rng=self.rng)
        x_fake = self.gen(self.gen.make_hidden(len(batch), self.rng))
        y_fake = self.dis(x_fake, rng=self.rng)
        self.opt_dis.update(ExampleUpdate.loss_dis, self.dis, y_fake, y_real)
        self.opt_gen.update(ExampleUpdate.loss_gen, self.gen, y_fake)

    def __call__(self, batch):
        with layers.use_fast_cpu(self.fast), \
                fast_backend.use_fast_backend(self.backend):
            if self.updater is None:
                self._by_hand(batch)
            else:
                # The updater draws its own batch: the same list in the
                # same order as the other variants get.
                self.updater.update()


class GemmReplay(object):
    """The GEMMs of one 'dcgan detached' update, replayed alone with the same
    shapes and memory layouts: the speed that update would have if all the
    work around its GEMMs were free. ``torch=True`` runs the same products
    through ``torch.mm`` (PyTorch's BLAS) instead of ``numpy.matmul``
    (NumPy's OpenBLAS), which shows what a different GEMM would give."""

    def __init__(self, resolution, ch, batches, seed, torch=False):
        probe = DcganUpdate(resolution, ch, batches, 'detached', True, seed)
        probe(None)  # warm-up: allocations settle
        seen = []
        real_matmul = numpy.matmul

        def recording(a, b, *args, **kwargs):
            seen.append((a.shape, a.flags.c_contiguous, b.shape,
                         b.flags.c_contiguous))
            return real_matmul(a, b, *args, **kwargs)
        numpy.matmul = recording
        try:
            probe(None)
        finally:
            numpy.matmul = real_matmul
        rng = numpy.random.default_rng(seed)

        def operand(shape, c_contiguous):
            if c_contiguous:
                return rng.standard_normal(shape, dtype=numpy.float32)
            return rng.standard_normal(shape[::-1], dtype=numpy.float32).T
        self.pairs = [(operand(sa, ca), operand(sb, cb))
                      for sa, ca, sb, cb in seen]
        self.matmul = real_matmul
        if torch:
            import torch as _torch
            _torch.set_num_threads(2)
            self.pairs = [(_torch.from_numpy(a), _torch.from_numpy(b))
                          for a, b in self.pairs]
            self.matmul = _torch.mm
        self.n_gemms = len(seen)

    def __call__(self, batch):
        for a, b in self.pairs:
            self.matmul(a, b)


# -- (3) PyTorch --------------------------------------------------------------

def make_torch_update(resolution, ch, seed, detached=False, cuda=False):
    import torch
    from torch import nn
    torch.set_num_threads(2)
    torch.manual_seed(seed)
    where = torch.device('cuda' if cuda else 'cpu')
    bw = resolution // 8

    def init(m):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            nn.init.zeros_(m.bias)

    class Gen(nn.Module):
        def __init__(self):
            super().__init__()
            self.l0 = nn.Linear(N_HIDDEN, bw * bw * ch)
            self.bn0 = nn.BatchNorm1d(bw * bw * ch, eps=2e-5, momentum=0.1)
            chans = [ch, ch // 2, ch // 4, ch // 8]
            self.body = nn.Sequential(*[m for k in range(3) for m in (
                nn.ConvTranspose2d(chans[k], chans[k + 1], 4, 2, 1),
                nn.BatchNorm2d(chans[k + 1], eps=2e-5, momentum=0.1),
                nn.ReLU())])
            self.dc4 = nn.ConvTranspose2d(ch // 8, 3, 3, 1, 1)

        def forward(self, z):
            h = torch.relu(self.bn0(self.l0(z.reshape(len(z), -1))))
            h = self.body(h.reshape(len(z), ch, bw, bw))
            return torch.sigmoid(self.dc4(h))

    class Dis(nn.Module):
        def __init__(self):
            super().__init__()
            chans = [ch // 8, ch // 4, ch // 2, ch]
            self.c0_0 = nn.Conv2d(3, chans[0], 3, 1, 1)
            convs, bns = [], []
            for k in range(3):
                convs += [nn.Conv2d(chans[k], chans[k + 1], 4, 2, 1),
                          nn.Conv2d(chans[k + 1], chans[k + 1], 3, 1, 1)]
                bns += [nn.BatchNorm2d(chans[k + 1], eps=2e-5, momentum=0.1)
                        for _ in range(2)]
            for bn in bns:  # use_gamma=False
                bn.weight.requires_grad_(False)
            self.convs = nn.ModuleList(convs)
            self.bns = nn.ModuleList(bns)
            self.l4 = nn.Linear(bw * bw * ch, 1)

        @staticmethod
        def noise(h):
            return h + 0.2 * torch.randn_like(h)

        def forward(self, x):
            h = nn.functional.leaky_relu(
                self.noise(self.c0_0(self.noise(x))), 0.2)
            for conv, bn in zip(self.convs, self.bns):
                h = nn.functional.leaky_relu(self.noise(bn(conv(h))), 0.2)
            return self.l4(h.reshape(len(h), -1))

    gen, dis = Gen().to(where), Dis().to(where)
    gen.apply(init)
    dis.apply(init)
    g_params = [p for p in gen.parameters() if p.requires_grad]
    d_params = [p for p in dis.parameters() if p.requires_grad]
    opt_g = torch.optim.Adam(g_params, lr=2e-4, betas=(0.5, 0.999),
                             eps=1e-8, weight_decay=1e-4)
    opt_d = torch.optim.Adam(d_params, lr=2e-4, betas=(0.5, 0.999),
                             eps=1e-8, weight_decay=1e-4)
    softplus = nn.functional.softplus

    def update(batch):
        x = torch.from_numpy(batch).to(where).float().div_(255.)
        b = len(batch)
        y_real = dis(x)
        z = torch.rand(b, N_HIDDEN, 1, 1, device=where) * 2 - 1
        x_fake = gen(z)
        d_in = x_fake.detach().requires_grad_() if detached else x_fake
        y_fake = dis(d_in)
        loss_d = softplus(-y_real).sum() / b + softplus(y_fake).sum() / b
        loss_g = softplus(-y_fake).sum() / b
        # Both gradients are taken before either step, since torch forbids
        # backward through weights an optimizer has changed in place.
        if detached:
            # dcgan's work: the D loss stops at the generated images; the G
            # loss's image gradient (no D weight gradients) goes on into G.
            gd = torch.autograd.grad(loss_d, d_params, retain_graph=True)
            grad_images, = torch.autograd.grad(loss_g, d_in)
            gg = torch.autograd.grad(x_fake, g_params, grad_images)
        else:
            # The example's work: the D loss reaches G's weights too and
            # the G loss D's weights too (both thrown away).
            gd = torch.autograd.grad(loss_d, d_params + g_params,
                                     retain_graph=True)
            gg = torch.autograd.grad(loss_g, g_params + d_params)
        for p, g in zip(d_params, gd):
            p.grad = g
        for p, g in zip(g_params, gg):
            p.grad = g
        opt_d.step()
        opt_g.step()

    return update


# -- counting and timing ------------------------------------------------------

def forward_flops(resolution, ch):
    """(F_G, F_D): 2 x multiply-adds of one forward pass, per image."""
    bw = resolution // 8
    widths = [ch, ch // 2, ch // 4, ch // 8]
    gen = N_HIDDEN * bw * bw * ch
    side = bw
    for k in range(3):
        gen += side * side * widths[k] * widths[k + 1] * 16
        side *= 2
    gen += resolution * resolution * widths[3] * 3 * 9
    dis = resolution * resolution * 3 * widths[3] * 9
    side = resolution
    d_widths = widths[::-1]
    for k in range(3):
        side //= 2
        dis += side * side * d_widths[k] * d_widths[k + 1] * 16
        dis += side * side * d_widths[k + 1] * d_widths[k + 1] * 9
    dis += bw * bw * ch
    return 2.0 * gen, 2.0 * dis


def gemm_step(n=2048, device=None):
    device = device or chainer.get_device('@numpy')
    a = device.send(numpy.random.default_rng(0).standard_normal((n, n)).astype(
        numpy.float32))
    out = device.xp.empty_like(a)

    def step(_batch):
        device.xp.matmul(a, a, out=out)
    return step, 2.0 * n ** 3


def synchronizer(device, with_torch):
    """A function that waits until the GPU has finished (CPU: does nothing)."""
    if device.xp is numpy:
        return lambda: None
    cupy = chainer.backends.cuda.cupy

    def sync():
        cupy.cuda.get_current_stream().synchronize()
        if with_torch:
            import torch
            torch.cuda.synchronize()
    return sync


def run_size(resolution, batchsize, ch, iters, warmup, with_torch, seed,
             only=None, device=None):
    device = device or chainer.get_device('@numpy')
    on_gpu = device.xp is not numpy
    rng = numpy.random.default_rng(seed)
    batches = [rng.integers(0, 256, (batchsize, 3, resolution, resolution),
                            dtype=numpy.uint8) for _ in range(4)]
    f_g, f_d = forward_flops(resolution, ch)
    example_flops = 8 * f_d + 5 * f_g
    pruned_flops = 7 * f_d + 3 * f_g

    makers = [
        ('chainer-example', lambda: ExampleUpdate(resolution, ch, device),
         example_flops),
        ('dcgan example', lambda: DcganUpdate(
            resolution, ch, batches, 'example', True, seed, device), pruned_flops),
        ('dcgan detached', lambda: DcganUpdate(
            resolution, ch, batches, 'detached', True, seed, device), pruned_flops),
        ('dcgan detached numpy', lambda: DcganUpdate(
            resolution, ch, batches, 'detached', True, seed, device,
            backend=False), pruned_flops),
        ('dcgan no-ops', lambda: DcganUpdate(
            resolution, ch, batches, 'example', False, seed, device), pruned_flops),
    ]
    if with_torch:
        makers.append(('pytorch', lambda: make_torch_update(
            resolution, ch, seed, cuda=on_gpu), example_flops))
        makers.append(('pytorch detached', lambda: make_torch_update(
            resolution, ch, seed, detached=True, cuda=on_gpu), pruned_flops))
    # Bounds, not trainers: the detached update's GEMMs and nothing else.
    if not on_gpu:
        makers.append(('GEMMs only', lambda: GemmReplay(
            resolution, ch, batches, seed), pruned_flops))
    if with_torch and not on_gpu:
        makers.append(('GEMMs torch.mm', lambda: GemmReplay(
            resolution, ch, batches, seed, torch=True), pruned_flops))
    gemm, gemm_flops = gemm_step(device=device)
    sync = synchronizer(device, with_torch)
    variants = [('{} GEMM 2048^3'.format('cupy' if on_gpu else 'numpy'), gemm,
                 gemm_flops, None)]
    for name, make, flops in makers:
        if only and name not in only:
            continue
        numpy.random.seed(seed)
        variants.append((name, make(), flops * batchsize, batchsize))

    times = {name: [] for name, _, _, _ in variants}
    loads = {name: [] for name, _, _, _ in variants}
    first = {}
    for r in range(warmup + iters):
        for name, step, _, _ in variants:
            batch = batches[r % len(batches)]
            t0 = time.perf_counter()
            step(batch)
            sync()
            dt = time.perf_counter() - t0
            first.setdefault(name, dt)
            if r >= warmup:
                times[name].append(dt)
                loads[name].append(os.getloadavg()[0])

    gemm_rate = gemm_flops / statistics.median(times[variants[0][0]])
    gemm_best = gemm_flops / min(times[variants[0][0]])
    rows = []
    for name, _, flops, n_img in variants:
        t = statistics.median(times[name])
        best = min(times[name])
        rows.append(dict(name=name, seconds=t,
                         img_s=None if n_img is None else n_img / t,
                         best_img_s=None if n_img is None else n_img / best,
                         gflops=flops / t / 1e9,
                         of_gemm=flops / t / gemm_rate,
                         best_of_gemm=flops / best / gemm_best,
                         load=statistics.mean(loads[name]),
                         first_update=first[name]))
    return rows, example_flops, pruned_flops


def print_table(resolution, batchsize, ch, rows, example_flops,
                pruned_flops, iters):
    print('== {} px, batch {}, ch {}: example update {:.2f} GFLOP/img, '
          'pruned {:.2f} GFLOP/img; median of {} timed updates =='.format(
              resolution, batchsize, ch, example_flops / 1e9,
              pruned_flops / 1e9, iters))
    by_name = {r['name']: r for r in rows}
    head = ('{:<20} {:>8} {:>7} {:>7} {:>6} {:>7} {:>7} {:>7} | {:>7} {:>7}'
            ' {:>7} {:>7} {:>5}')
    print(head.format('', 'median:', '', '', '', 'vs', 'vs', 'vs', 'best:',
                      'vs', 'vs', 'vs', ''))
    print(head.format('variant', 's/update', 'img/s', 'GFLOP/s', '%GEMM',
                      'example', 'torch', 't.det', 'img/s', 'example',
                      'torch', 't.det', 'load1'))

    def ratio(r, key, other):
        base = by_name.get(other, {}).get(key)
        if r[key] is None or not base:
            return '-'
        return '{:.2f}x'.format(r[key] / base)

    for r in rows:
        img = '-' if r['img_s'] is None else '{:.2f}'.format(r['img_s'])
        best = '-' if r['best_img_s'] is None else '{:.2f}'.format(
            r['best_img_s'])
        print(head.format(
            r['name'], '{:.3f}'.format(r['seconds']), img,
            '{:.1f}'.format(r['gflops']), '{:.0f}%'.format(100 * r['of_gemm']),
            ratio(r, 'img_s', 'chainer-example'), ratio(r, 'img_s', 'pytorch'),
            ratio(r, 'img_s', 'pytorch detached'),
            best, ratio(r, 'best_img_s', 'chainer-example'),
            ratio(r, 'best_img_s', 'pytorch'),
            ratio(r, 'best_img_s', 'pytorch detached'), '{:.2f}'.format(r['load'])))
    # The first update of a variant pays for loading kernels and building
    # their primitives (and first-touch allocations); it is never timed above.
    print('first (untimed) update, s: ' + ', '.join(
        '{} {:.3f}'.format(r['name'], r['first_update']) for r in rows
        if r['img_s'] is not None))
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', default='32:50,96:10',
                        help='resolution:batch pairs, comma separated')
    parser.add_argument('--ch', type=int, default=512,
                        help="the nets' ch (the example's 512)")
    parser.add_argument('--iters', type=int, default=3,
                        help='timed updates per variant')
    parser.add_argument('--warmup', type=int, default=1,
                        help='untimed updates per variant first')
    parser.add_argument('--quick', action='store_true',
                        help='2 timed updates after 1 warm-up')
    parser.add_argument('--no-torch', action='store_true',
                        help='skip PyTorch even if it imports')
    parser.add_argument('--only', default='',
                        help='comma-separated variant names to run (default '
                        'all), e.g. "dcgan example,pytorch"')
    parser.add_argument('--malloc', choices=('reuse', 'default'),
                        default='reuse',
                        help="'reuse': dcgan.ops.malloc.reuse_freed_memory() "
                        "first (process-wide, so every variant gets it); "
                        "'default': glibc as it comes")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default='@numpy',
                        help='@numpy (default) or a GPU such as @cupy:0')
    parser.add_argument('--json', default='', metavar='FILE',
                        help='also write every row, per size, to FILE')
    args = parser.parse_args(argv)
    device = chainer.get_device(args.device)
    device.use()
    if args.quick:
        args.iters, args.warmup = 2, 1
    with_torch = False
    if not args.no_torch:
        try:
            import torch
            with_torch = True
            torch_version = torch.__version__
        except ImportError:
            torch_version = 'not installed'
    if with_torch and device.xp is not numpy and not torch.cuda.is_available():
        with_torch, torch_version = False, torch_version + ' (no CUDA, skipped)'
    print('device {}, numpy {}, chainer {}, torch {}, {} CPUs, load {:.2f}'.format(
        device, numpy.__version__, chainer.__version__,
        torch_version if not args.no_torch else 'skipped',
        os.cpu_count(), os.getloadavg()[0]))
    malloc = 'glibc default'
    if args.malloc == 'reuse':
        malloc = 'reuse_freed_memory() {}'.format(
            'applied' if reuse_freed_memory() else 'not available')
    print('malloc: {} (all variants)'.format(malloc))
    print('idle threads: {} (all variants)'.format(blas_threads.describe()))
    print('fast backend: {}; {}'.format(
        ', '.join('{} {}'.format(k, v) for k, v in fast_backend.status().items()),
        onednn.describe()))
    print('dcgan.training.updater.DCGANUpdater: {}'.format(
        'used' if DCGANUpdater is not None else 'missing, update by hand'))
    print()
    only = [v.strip() for v in args.only.split(',') if v.strip()]
    results = []
    for pair in args.sizes.split(','):
        resolution, batchsize = (int(v) for v in pair.split(':'))
        rows, ex_f, pruned_f = run_size(resolution, batchsize, args.ch,
                                        args.iters, args.warmup, with_torch,
                                        args.seed, only, device)
        print_table(resolution, batchsize, args.ch, rows, ex_f, pruned_f,
                    args.iters)
        if onednn.available():
            n, seconds = onednn.creation_stats()
            print('oneDNN primitives built so far: {} in {:.3f} s'.format(n, seconds))
            print()
        sys.stdout.flush()
        results.append({'resolution': resolution, 'batchsize': batchsize,
                        'device': str(device), 'rows': rows})
    if args.json:
        import json
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
