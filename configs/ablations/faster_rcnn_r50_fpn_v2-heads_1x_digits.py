# torchvision's fasterrcnn_resnet50_fpn_v2 heads in mmdet terms: a 2-conv RPN
# head and a 4-conv + 1-FC box head with BatchNorm after each conv.
_base_ = '../faster_rcnn_r50_fpn_digits.py'

model = dict(
    rpn_head=dict(num_convs=2),
    roi_head=dict(
        bbox_head=dict(
            type='Shared4Conv1FCBBoxHead',
            conv_out_channels=256,
            norm_cfg=dict(type='BN', requires_grad=True))))
