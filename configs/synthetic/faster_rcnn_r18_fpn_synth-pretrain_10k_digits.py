# The one-off synthetic pretraining of the CPU-sized model: made once, like
# downloading ImageNet weights, and reused by every fine-tuning and ablation
# (the 2k config is the quick path). Half of the scenes are framed like
# SVHN's test photos (smaller digits in larger frames, shorter numbers), the
# framing the course grades on (docs/synthetic.md#the-test-framing).
#
#   python tools/train.py \
#     configs/synthetic/faster_rcnn_r18_fpn_synth-pretrain_10k_digits.py \
#     --data-root ../shared/data/svhn-mini
#
# A checkpoint every 1,000 iterations; an interrupted run continues with
# the same command and --resume. Fine-tune from it with
# faster_rcnn_r18_fpn_synth10k-finetune_1.5k_digits.py.
_base_ = './faster_rcnn_r18_fpn_synth-pretrain_2k_digits.py'

max_iters = 10000
val_interval = 1000
# share of rendered scenes framed like SVHN's test photos
test_framing = 0.5

train_dataloader = dict(dataset=dict(test_framing=test_framing))
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
param_scheduler = [
    _base_.param_scheduler[0],
    dict(
        _base_.param_scheduler[1],
        end=max_iters,
        T_max=max_iters - _base_.param_scheduler[1].begin),
]
default_hooks = dict(checkpoint=dict(interval=val_interval))
