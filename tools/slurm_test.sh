#!/usr/bin/env bash
# Test on a SLURM cluster: srun starts one task per GPU and MMEngine's
# slurm launcher builds the process group from SLURM's variables.
#   [GPUS=8] bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT \
#       [tools/test.py options, e.g. --data-root DIR --out DIR]
# GPUS > GPUS_PER_NODE spans nodes. CPUS_PER_TASK (default 5) and SRUN_ARGS
# (extra srun flags) as in mmdet; PORT sets MASTER_PORT (default 29500).
set -x

PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
GPUS=${GPUS:-1}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=${PYTHON:-python}
if [ -n "${PORT:-}" ]; then
    export MASTER_PORT=$PORT
fi

# SRUN_ARGS unquoted on purpose: it holds several flags.
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    $PYTHON -u "$(dirname "$0")/test.py" "$CONFIG" "$CHECKPOINT" \
    --launcher slurm "${@:5}"
