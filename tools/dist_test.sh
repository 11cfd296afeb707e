#!/usr/bin/env bash
# bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [tools/test.py options]
${PYTHON:-python} -m torch.distributed.run \
    --nnodes=${NNODES:-1} \
    --node_rank=${NODE_RANK:-0} \
    --master_addr=${MASTER_ADDR:-127.0.0.1} \
    --nproc_per_node=$3 \
    --master_port=${PORT:-29500} \
    "$(dirname "$0")/test.py" "$1" "$2" --launcher pytorch "${@:4}"
