# The primary R50 fine-tuned on real photos from its synthetic pretraining
# (faster_rcnn_r50_fpn_synth-pretrain_20k_digits.py) instead of ImageNet:
# the primary's schedule, every stage trainable (the pretrained BN
# statistics are the digits', not ImageNet's).
#
#   python tools/train.py \
#     configs/synthetic/faster_rcnn_r50_fpn_synth-finetune_1x_digits.py \
#     --data-root data/hw2
_base_ = '../faster_rcnn_r50_fpn_digits.py'

load_from = ('work_dirs/faster_rcnn_r50_fpn_synth-pretrain_20k_digits/'
             'iter_20000.pth')
load_from_hint = (
    'python tools/train.py '
    'configs/synthetic/faster_rcnn_r50_fpn_synth-pretrain_20k_digits.py '
    '--data-root DATA')

model = dict(backbone=dict(frozen_stages=-1, norm_eval=False, init_cfg=None))
