# Small geometric augmentation without flips: mmdet's RandomAffine with a
# random rotation (up to +-5 degrees) and shear (up to +-2 degrees, mmdet's
# default), on the original image before Resize. Scaling and translation
# are off, so this is the only change; the output keeps the input's size
# and the uncovered corners are filled with grey. Boxes become the
# enclosing boxes of their warped corners (a 5-degree turn widens a median
# 14x29 px digit box by 2.5 px), clipped to the image; a box warped
# entirely out of the image is dropped.
# Note: mmdet's RandomAffine turns and shears about the image's top-left
# corner, not its centre, so the right end of a wide crop also moves
# vertically, by up to width * (sin 5 deg + tan 2 deg) ~ 0.12 * width
# (~27 % of the height of a median 104x47 crop).
_base_ = '../faster_rcnn_r50_fpn_digits.py'

max_rotate_degree = 5.0
max_shear_degree = 2.0

train_pipeline = [
    *_base_.train_pipeline[:2],  # LoadImageFromFile, LoadAnnotations
    dict(
        type='RandomAffine',
        max_rotate_degree=max_rotate_degree,
        max_shear_degree=max_shear_degree,
        max_translate_ratio=0.0,
        scaling_ratio_range=(1.0, 1.0),
        border=(0, 0),
        bbox_clip_border=True),
    *_base_.train_pipeline[2:],  # zoom-out, Resize, PackDetInputs
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
