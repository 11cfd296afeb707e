# Course layout: data_root/{train/, valid/, test/, train.json, valid.json};
# test/ has no json and is read by DigitImageFolderDataset.
_base_ = 'mmdet::_base_/datasets/coco_detection.py'

custom_imports = dict(imports=['mmdigit'], allow_failed_imports=False)

dataset_type = 'DigitCocoDataset'
data_root = 'data/svhn/'
backend_args = None
# Course images are small (median 104x47 px, 5-95% widths 48-300; digit
# boxes 6-36 px wide, 15-66 px tall, median 14x29). keep_ratio Resize to fit
# 320x160 makes digits 39-124 px tall (5-95%, median 90, on svhn-mini): the
# smallest still covers the smallest default anchor (32 px, P2), most fall
# on the 64-128 px anchors of P3-P4 (tools/analysis_tools/anchor_stats.py).
# mmdet's 1333x800 would blow a 104x47 crop up to 1333x603, 17x the pixels
# (README, Performance, measures what that costs).
img_scale = (320, 160)

# SVHN's test photos frame digits a third smaller than its train photos,
# where every labelled image comes from (docs/data.md#a-test-like-split):
# half of the training photos are zoomed out 1-2x into a canvas of the
# mean colour (mmdet's Expand; the ImageNet mean of mmdet's
# data_preprocessor, in BGR), before the resize. Measured in
# docs/synthetic.md#the-test-framing.
zoom_out = dict(
    type='Expand',
    mean=[123.675, 116.28, 103.53],
    to_rgb=True,
    ratio_range=(1, 2),
    prob=0.5)

# No RandomFlip: a mirrored digit is a different or an invalid digit.
# Children change the Resize as train_pipeline[-2].
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True), zoom_out,
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackDetInputs')
]
# Annotations load after Resize so GT stays in original pixels for metrics.
val_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train.json',
        data_prefix=dict(img='train/'),
        # mmdet's min_size=32 would drop every image under 32 px (many
        # SVHN crops are ~21-30 px tall).
        filter_cfg=dict(filter_empty_gt=True, min_size=1),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='valid.json',
        data_prefix=dict(img='valid/'),
        pipeline=val_pipeline))
# The unlabelled test/ folder, written as a submission by tools/test.py --out.
test_dataloader = dict(
    batch_size=8,
    dataset=dict(
        _delete_=True,
        type='DigitImageFolderDataset',
        data_root=data_root,
        data_prefix=dict(img='test/'),
        pipeline=test_pipeline))

val_evaluator = [
    dict(type='CocoMetric', ann_file=data_root + 'valid.json', metric='bbox'),
    dict(type='DigitStringMetric')
]
# Writes pred.json, pred.csv and submission.zip; tools/test.py points out_dir
# at --out (default <work_dir>/submission) and sets the pred.csv threshold.
test_evaluator = dict(
    _delete_=True,
    type='DigitSubmissionDumper',
    out_dir='work_dirs/submission')
