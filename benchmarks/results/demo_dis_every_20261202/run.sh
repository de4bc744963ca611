#!/bin/bash
# usage: run.sh NAME SEED flags...   (the demo's settings as probed, before DEMO_ARGS took
# --dis_every 2: pinned here, not read from dev.py, so a bare run stays the baseline)
# Two runs at a time, one BLAS thread each; log in /tmp/work/probe6/NAME.log.
name=$1; seed=$2; shift 2
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1
mkdir -p /tmp/work/probe6
/usr/bin/time -v .venvs/py3.11/bin/python examples/train_dcgan.py --iteration 2000 --ch 128 --batchsize 32 \
    --demo_images 256 --small-data --snapshot_interval 500 --seed "$seed" --out /tmp/work/probe6/$name "$@" \
    > /tmp/work/probe6/$name.log 2>&1
