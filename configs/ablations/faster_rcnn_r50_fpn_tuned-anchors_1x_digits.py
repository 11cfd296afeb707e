# RPN anchors tuned to tall digits. Numbers from
#   python tools/analysis_tools/anchor_stats.py \
#       ../shared/data/svhn-mini/train.json --num-scales 2
# (real SVHN, 3,549 boxes, at the primary's 320x160 training scale): boxes
# are h/w 1.4-3.5 (median 2.1), sqrt(wh) 30-89 px. Centred IoU of each box
# with its best anchor: mmdet's scales=[8], ratios=[0.5, 1, 2] give mean
# 0.695 and 50% of boxes >= 0.7 (the RPN's positive threshold); these give
# mean 0.827 and 99%.
_base_ = '../faster_rcnn_r50_fpn_digits.py'

anchor_scales = [1.68, 2.38]
anchor_ratios = [1.6, 2.15, 3.15]

model = dict(
    rpn_head=dict(
        anchor_generator=dict(scales=anchor_scales, ratios=anchor_ratios)))
