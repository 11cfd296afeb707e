# RegNetX-400MF backbone (~5M parameters, ImageNet weights from OpenMMLab),
# as mmdet's regnet configs; a second light backbone beside MobileNetV2.
_base_ = '../faster_rcnn_r50_fpn_digits.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='RegNet',
        arch='regnetx_400mf',
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://regnetx_400mf')),
    neck=dict(in_channels=[32, 64, 160, 384]))
