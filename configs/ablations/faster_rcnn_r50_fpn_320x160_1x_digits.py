# Input scale 320x160 for training, validation and test (keep ratio):
# the primary's own scale spelled out: a no-op on the primary, the
# primary's scale on another base (tools/ablate.py --onto).
_base_ = '../faster_rcnn_r50_fpn_digits.py'

img_scale = (320, 160)

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
