# Input scale 256x128 for training, validation and test (keep ratio):
# 0.8x the primary's side: the CPU recipe's scale (faster, smaller digits).
_base_ = '../faster_rcnn_r50_fpn_digits.py'

img_scale = (256, 128)

# The base's pipelines with their Resize at img_scale.
train_pipeline = [
    *_base_.train_pipeline[:2],
    dict(_base_.train_pipeline[2], scale=img_scale),
    *_base_.train_pipeline[3:],
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
