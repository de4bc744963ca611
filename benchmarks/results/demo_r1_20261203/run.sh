#!/bin/bash
# usage: run.sh NAME SEED [flags...]: the demo's settings (dev.py DEMO_ARGS on 2026-12-03) for 2000
# iterations, pinned here so a bare run stays the baseline; one BLAS thread. Log: NAME.txt here,
# run folder in /tmp/work/probe/NAME. The probes:
#   run.sh base_s5 5;  run.sh r1g01_s5 5 --r1-gamma 0.1 --r1-interval 16;  run.sh r1g1_s5 5 --r1-gamma 1 --r1-interval 16
#   later, beside CI (niced): run.sh r1g0.03_s5 5 --r1-gamma 0.03 --r1-interval 16;  the same with 0.3
name=$1; seed=$2; shift 2
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../.."
mkdir -p /tmp/work/probe
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 /usr/bin/time -f "%e s wall %U user %S sys" \
  .venvs/py3.11/bin/python examples/train_dcgan.py --iteration 2000 --ch 128 --batchsize 32 \
  --demo_images 256 --small-data --dis_every 2 --ada-kimg 10 --snapshot_interval 500 --swd-interval 500 \
  --seed "$seed" --nearest-interval 0 --no-walk-gif --no-progress-gif --no-report --no-progress-bar \
  --no-auto-resume --out /tmp/work/probe/$name "$@" > "$here/$name.txt" 2>&1
