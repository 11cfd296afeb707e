# Synthetic pretraining of the CPU-sized model (the demo's R18 + 64-channel
# FPN at 256x128): house numbers rendered on the fly by
# mmdigit.datasets.HouseNumberRenderer inside the data-loader workers. No
# external data and no downloaded weights: the project renders everything,
# so the result is an initialisation built from code alone.
#
#   python tools/train.py \
#     configs/synthetic/faster_rcnn_r18_fpn_synth-pretrain_2k_digits.py \
#     --data-root ../shared/data/svhn-mini   # validates on real valid/
#
# Then fine-tune on real photos with
# faster_rcnn_r18_fpn_synth-finetune_1.5k_digits.py (load_from = this run's
# last checkpoint). Without --data-root, validation reads the on-disk
# synthetic set of `make demo` (data/synthetic/, tools/make_synthetic.py).
_base_ = '../faster_rcnn_r18_fpn_demo_digits.py'

max_iters = 2000
val_interval = 1000
# renderer seed: sample i is rendered from (synth_seed, i)
synth_seed = 0
# long enough that the InfiniteSampler never repeats a sample
synth_length = 1000000

# rendered scenes come framed by the renderer: no zoom-out (the base's
# train_pipeline[2])
train_pipeline = [
    dict(type='LoadImageFromNDArray'),
    _base_.train_pipeline[1],
    *_base_.train_pipeline[-2:],
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='SyntheticDigitDataset',
        length=synth_length,
        seed=synth_seed,
        pipeline=train_pipeline))

train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
param_scheduler = [
    _base_.param_scheduler[0],
    dict(
        _base_.param_scheduler[1],
        end=max_iters,
        T_max=max_iters - _base_.param_scheduler[1].begin),
]
default_hooks = dict(checkpoint=dict(interval=val_interval))
