#!/bin/bash
# usage: run.sh NAME SEED [flags...]: the demo's training (dev.py's DEMO_ARGS, read from dev.py, so
# these probes follow the demo of the commit they ran on) with FLAGS after it (later flags win), one
# BLAS thread. Log: NAME.txt here; run folder /tmp/work/probe/NAME (gen_ema_iter_N.npz every 500
# iterations, for benchmarks/demo_shapes.py). Walk/progress GIFs, nearest grids and the report are
# left out: they cost the same in every probe. CORE=K pins the run to core K (taskset), so two probes
# side by side on 2 cores each see one.
name=$1; seed=$2; shift 2
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../.."
mkdir -p /tmp/work/probe
demo_args=$(.venvs/py3.11/bin/python -c "import dev; print(' '.join(dev.DEMO_ARGS))")
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \
  ${CORE:+taskset -c $CORE} /usr/bin/time -f "%e s wall %U user %S sys" \
  .venvs/py3.11/bin/python examples/train_dcgan.py $demo_args --swd-interval 500 \
  --seed "$seed" --nearest-interval 0 --no-walk-gif --no-progress-gif --no-report --no-progress-bar \
  --no-auto-resume --out /tmp/work/probe/$name "$@" > "$here/$name.txt" 2>&1
