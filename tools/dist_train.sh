#!/usr/bin/env bash
# Multi-GPU train with PyTorch DDP through MMEngine's launcher:
#   bash tools/dist_train.sh CONFIG GPUS [tools/train.py options]
# Without CUDA the tools switch NCCL to gloo, so this runs on CPUs too.
CONFIG=$1
GPUS=$2
SHIFT=2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

$PYTHON -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$(dirname "$0")/train.py" \
    $CONFIG \
    --launcher pytorch "${@:$((SHIFT + 1))}"
