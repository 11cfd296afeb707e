# Fine-tuning from the one-off 10k synthetic pretraining (instead of the 2k
# quick path); everything else is the README's CPU fine-tuning.
#
#   python tools/train.py \
#     configs/synthetic/faster_rcnn_r18_fpn_synth-pretrain_10k_digits.py \
#     --data-root ../shared/data/svhn-mini
#   python tools/train.py \
#     configs/synthetic/faster_rcnn_r18_fpn_synth10k-finetune_1.5k_digits.py \
#     --data-root ../shared/data/svhn-mini
_base_ = './faster_rcnn_r18_fpn_synth-finetune_1.5k_digits.py'

load_from = ('work_dirs/faster_rcnn_r18_fpn_synth-pretrain_10k_digits/'
             'iter_10000.pth')
load_from_hint = (
    'python tools/train.py '
    'configs/synthetic/faster_rcnn_r18_fpn_synth-pretrain_10k_digits.py '
    '--data-root DATA')
