# AdamW + cosine annealing (per iteration) instead of SGD + step decay.
_base_ = '../faster_rcnn_r50_fpn_digits.py'

lr = 1e-4
weight_decay = 0.05
max_epochs = 12

optim_wrapper = dict(
    optimizer=dict(
        _delete_=True, type='AdamW', lr=lr, weight_decay=weight_decay))
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='CosineAnnealingLR',
        eta_min=lr * 0.01,
        begin=0,
        end=max_epochs,
        T_max=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True)
]
