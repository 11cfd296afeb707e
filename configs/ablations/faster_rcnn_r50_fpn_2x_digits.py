# 2x schedule (24 epochs, LR steps at 16 and 22), as mmdet's 2x configs.
_base_ = '../faster_rcnn_r50_fpn_digits.py'

max_epochs = 24

train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[16, 22],
        gamma=0.1)
]
