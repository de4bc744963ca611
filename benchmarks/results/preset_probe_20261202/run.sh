#!/bin/bash
# usage: run.sh NAME flags...
name=$1; shift
cd /work/main
OMP_NUM_THREADS=1 /usr/bin/time -f "cpu %U %S wall %e" .venvs/py3.11/bin/python examples/train_dcgan.py --iteration 2000 --ch 128 --batchsize 32 --demo_images 256 --seed 5 --snapshot_interval 500 --swd-interval 500 --nearest-interval 0 --no-walk-gif --no-progress-gif --no-report --no-progress-bar --no-auto-resume --out /tmp/work/probe/$name "$@" > /tmp/work/probe/$name.txt 2>&1
