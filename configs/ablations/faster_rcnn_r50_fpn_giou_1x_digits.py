# GIoU loss for the box head, as mmdet's faster-rcnn_r50_fpn_giou_1x_coco.py
# (IoU losses need decoded boxes).
_base_ = '../faster_rcnn_r50_fpn_digits.py'

model = dict(
    roi_head=dict(
        bbox_head=dict(
            reg_decoded_bbox=True,
            loss_bbox=dict(type='GIoULoss', loss_weight=10.0))))
