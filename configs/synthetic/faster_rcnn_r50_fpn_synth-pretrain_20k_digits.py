# Synthetic pretraining of the primary R50 model for GPU users who want an
# initialisation without ImageNet, or on top of it (set
# model.backbone.init_cfg back to the primary's `pretrained` URL). House
# numbers are rendered on the fly (SyntheticDigitDataset): no external data, no
# downloaded weights.
#
#   python tools/train.py \
#     configs/synthetic/faster_rcnn_r50_fpn_synth-pretrain_20k_digits.py \
#     --data-root data/hw2   # validates on the real valid/
#   bash tools/dist_train.sh \
#     configs/synthetic/faster_rcnn_r50_fpn_synth-pretrain_20k_digits.py 4 ...
_base_ = '../faster_rcnn_r50_fpn_digits.py'

max_iters = 20000
val_interval = 5000
lr = _base_.lr
synth_seed = 0
synth_length = 10000000

model = dict(
    backbone=dict(
        # from scratch: no download; every stage and BN statistic trains
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None))

# rendered scenes come framed by the renderer: no zoom-out (the base's
# train_pipeline[2])
train_pipeline = [
    dict(type='LoadImageFromNDArray'),
    _base_.train_pipeline[1],
    *_base_.train_pipeline[-2:],
]
train_dataloader = dict(
    sampler=dict(type='InfiniteSampler'),
    dataset=dict(
        _delete_=True,
        type='SyntheticDigitDataset',
        length=synth_length,
        seed=synth_seed,
        pipeline=train_pipeline))

train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=val_interval)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=1000),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=1000,
        end=max_iters,
        T_max=max_iters - 1000,
        eta_min=lr * 0.01)
]
default_hooks = dict(
    logger=dict(log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=val_interval))
log_processor = dict(by_epoch=False)
