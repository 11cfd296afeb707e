#!/usr/bin/env bash
# bash tools/dist_train.sh CONFIG GPUS [tools/train.py options]
# (without CUDA the tools switch NCCL to gloo: this runs on CPUs too)
${PYTHON:-python} -m torch.distributed.run \
    --nnodes=${NNODES:-1} \
    --node_rank=${NODE_RANK:-0} \
    --master_addr=${MASTER_ADDR:-127.0.0.1} \
    --nproc_per_node=$2 \
    --master_port=${PORT:-29500} \
    "$(dirname "$0")/train.py" "$1" --launcher pytorch "${@:3}"
