# MobileNetV2 backbone (ImageNet weights from OpenMMLab, as mmdet's
# yolov3_mobilenetv2 config), outputs at strides 4/8/16/32.
_base_ = '../faster_rcnn_r50_fpn_digits.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        out_indices=(1, 2, 4, 7),
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://mmdet/mobilenet_v2')),
    neck=dict(in_channels=[24, 32, 96, 1280]))
