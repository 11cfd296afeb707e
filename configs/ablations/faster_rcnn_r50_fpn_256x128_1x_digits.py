# Input scale 256x128 for training, validation and test (keep ratio):
# 0.8x the primary's side: the CPU recipe's scale (faster, smaller digits).
_base_ = '../faster_rcnn_r50_fpn_digits.py'

img_scale = (256, 128)

# The base's pipelines with every Resize at img_scale (wherever it sits).
train_pipeline = [
    dict(t, scale=img_scale) if t['type'] == 'Resize' else t
    for t in _base_.train_pipeline
]
val_pipeline = [
    dict(t, scale=img_scale) if t['type'] == 'Resize' else t
    for t in _base_.val_pipeline
]
test_pipeline = [
    dict(t, scale=img_scale) if t['type'] == 'Resize' else t
    for t in _base_.test_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
