# mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py with its COCO dataset base
# swapped for the digits one (mmengine forbids one key in two bases, so we
# list the same model/schedule/runtime bases that config is made of).
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    './_base_/datasets/digits.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]

num_classes = 10
# 1 GPU x 8 images; mmdet's 0.02 is for 16 images (linear scaling rule).
batch_size = 8
lr = 0.01
max_epochs = 12

# Proposals sized for 1-5 digits per image (mmdet's defaults are for COCO's
# up to 100 objects): the RoI head runs once per proposal, so on a small
# input it costs more than the backbone. Each change is a row of the README's
# Performance table (tools/benchmark.py).
train_proposals = 300  # mmdet: 1000 of 2000 pre-NMS
train_rois = 128  # sampled per image, 25% positive; mmdet: 512
test_proposals = 100  # mmdet: 1000

# ImageNet ResNet-50 by its URL: mmdet's 'torchvision://resnet50' names the
# same file but needs torchvision installed. Downloaded once into
# $TORCH_HOME/hub/checkpoints/ (tools/train.py stops with one line when it
# is neither there nor downloadable).
pretrained = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'

model = dict(
    backbone=dict(init_cfg=dict(checkpoint=pretrained)),
    roi_head=dict(
        # 2x2 points per RoIAlign bin instead of adaptive (mmdet's 0), which
        # samples upscaled boxes densely; mmcv's CPU kernel pays for each.
        bbox_roi_extractor=dict(roi_layer=dict(sampling_ratio=2)),
        bbox_head=dict(num_classes=num_classes)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=train_proposals),
        rcnn=dict(sampler=dict(num=train_rois))),
    test_cfg=dict(rpn=dict(max_per_img=test_proposals)))

train_dataloader = dict(batch_size=batch_size)
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(
    optimizer=dict(lr=lr),
    # caps the rare loss spikes of the first iterations
    clip_grad=dict(max_norm=35, norm_type=2))
auto_scale_lr = dict(enable=False, base_batch_size=batch_size)

default_hooks = dict(
    checkpoint=dict(
        interval=1,
        max_keep_ckpts=3,
        save_best=['coco/bbox_mAP', 'digit/accuracy'],
        rule='greater',
        # temp file + rename: a job killed mid-save never leaves a
        # truncated checkpoint (mmdigit.utils.AtomicLocalBackend)
        backend_args=dict(backend='atomic_local')))
custom_hooks = [
    # records digit/best_thr in checkpoints for pred.csv (tools/test.py)
    dict(type='DigitThresholdHook'),
    # stops at the first NaN/Inf loss term, before it is checkpointed
    dict(type='NonFiniteLossHook'),
    # random state in checkpoints: --resume continues exactly
    dict(type='RNGStateHook'),
]

# tools/test.py --tta: scale-only TTA (0.875x, 1x, 1.25x of the test scale,
# built from test_pipeline; flips would mirror the digits). Set tta_pipeline
# here to choose other scales.
tta_model = dict(
    type='DetTTAModel',
    tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
