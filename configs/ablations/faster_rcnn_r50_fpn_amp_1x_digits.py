# Mixed precision (CUDA only; equivalent to tools/train.py --amp). On a
# machine without CUDA tools/train.py stops with one clear line.
_base_ = '../faster_rcnn_r50_fpn_digits.py'

optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')
