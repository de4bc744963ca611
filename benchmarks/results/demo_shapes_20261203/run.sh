#!/bin/bash
# usage: run.sh NAME SEED [flags...]: the demo (dev.py DEMO_ARGS of 8900c2c: 2000 iterations, --ch 128,
# batch 32, 256 demo images, --small-data) with FLAGS after it (later flags win), one BLAS thread.
# Log: NAME.txt here; run folder /tmp/work/probe/NAME (gen_ema_iter_N.npz every 500 iterations, for
# benchmarks/demo_shapes.py). Walk/progress GIFs and the report are left out: they cost the same in
# every probe.
name=$1; seed=$2; shift 2
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../.."
mkdir -p /tmp/work/probe
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 /usr/bin/time -f "%e s wall %U user %S sys" \
  .venvs/py3.11/bin/python examples/train_dcgan.py --iteration 2000 --ch 128 --batchsize 32 \
  --demo_images 256 --small-data --snapshot_interval 500 --swd-interval 500 \
  --seed "$seed" --nearest-interval 0 --no-walk-gif --no-progress-gif --no-report --no-progress-bar \
  --no-auto-resume --out /tmp/work/probe/$name "$@" > "$here/$name.txt" 2>&1
