#!/usr/bin/env bash
# [GPUS=4] bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT \
#     [tools/test.py options]; environment: docs/training.md
set -x
GPUS=${GPUS:-1}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
if [ -n "${PORT:-}" ]; then export MASTER_PORT=$PORT; fi

# SRUN_ARGS unquoted on purpose: it holds several flags
srun -p "$1" \
    --job-name="$2" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="${CPUS_PER_TASK:-5}" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    ${PYTHON:-python} -u "$(dirname "$0")/test.py" "$3" "$4" \
    --launcher slurm "${@:5}"
