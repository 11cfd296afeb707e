# Multi-scale training: each training image is resized (keep_ratio) to fit
# the primary's scale times a ratio drawn uniformly from 0.75-1.25
# (mmcv's RandomResize running mmdet's Resize, so boxes follow), i.e.
# 240x120 to 400x200 around 320x160. Validation and test stay at the
# primary's single scale.
_base_ = '../faster_rcnn_r50_fpn_digits.py'

img_scale = _base_.img_scale
scale_ratio_range = (0.75, 1.25)

train_pipeline = [
    *_base_.train_pipeline[:-2],  # loading, zoom-out
    dict(
        type='RandomResize',
        scale=img_scale,
        ratio_range=scale_ratio_range,
        keep_ratio=True),
    _base_.train_pipeline[-1],  # PackDetInputs
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
