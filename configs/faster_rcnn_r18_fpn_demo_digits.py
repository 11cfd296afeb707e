# CPU-friendly variant of the primary config for `make demo` and smoke runs:
# ResNet-18 + a 64-channel FPN trained from scratch (no download), 256x128
# inputs, a fixed iteration budget (timings on 2 CPU cores: README).
_base_ = './faster_rcnn_r50_fpn_digits.py'

data_root = 'data/synthetic/'
img_scale = (256, 128)
channels = 64
max_iters = 500
lr = 2e-3

model = dict(
    backbone=dict(
        depth=18,
        # from scratch: train every stage and BN statistics
        frozen_stages=-1,
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=channels),
    rpn_head=dict(in_channels=channels, feat_channels=channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=channels),
        bbox_head=dict(in_channels=channels, fc_out_channels=256)))

# The primary's pipelines with their Resize at img_scale (a base's
# pipelines hold the base's img_scale, so a new one means new Resizes).
train_pipeline = [
    *_base_.train_pipeline[:-2],
    dict(_base_.train_pipeline[-2], scale=img_scale),
    _base_.train_pipeline[-1],
]
val_pipeline = [
    _base_.val_pipeline[0],
    dict(_base_.val_pipeline[1], scale=img_scale),
    *_base_.val_pipeline[2:],
]
test_pipeline = [
    _base_.test_pipeline[0],
    dict(_base_.test_pipeline[1], scale=img_scale),
    *_base_.test_pipeline[2:],
]
train_dataloader = dict(
    sampler=dict(type='InfiniteSampler'),
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
val_evaluator = [
    dict(type='CocoMetric', ann_file=data_root + 'valid.json', metric='bbox'),
    dict(type='DigitStringMetric')
]

# AdamW is more forgiving than SGD for a from-scratch detector.
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=lr, weight_decay=0.05))
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(
        type='CosineAnnealingLR',
        by_epoch=False,
        begin=100,
        end=max_iters,
        T_max=max_iters - 100,
        eta_min=lr * 0.05)
]
default_hooks = dict(
    # validation metrics logged at their iteration, not "epoch" 0
    logger=dict(interval=20, log_metric_by_epoch=False),
    checkpoint=dict(by_epoch=False, interval=max_iters))
log_processor = dict(by_epoch=False)
