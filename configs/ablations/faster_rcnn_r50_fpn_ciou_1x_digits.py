# CIoU loss for the box head: the GIoU variant with the loss swapped (weight
# as mmdet's faster-rcnn_r50_fpn_ciou_1x_coco.py).
_base_ = './faster_rcnn_r50_fpn_giou_1x_digits.py'

model = dict(
    roi_head=dict(
        bbox_head=dict(loss_bbox=dict(type='CIoULoss', loss_weight=12.0))))
