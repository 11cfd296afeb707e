# Fine-tuning the synthetic-pretrained CPU-sized model on real photos: the
# CPU recipe of the README (no GPU, no downloaded weights).
#
#   python tools/train.py \
#     configs/synthetic/faster_rcnn_r18_fpn_synth-pretrain_2k_digits.py \
#     --data-root ../shared/data/svhn-mini
#   python tools/train.py \
#     configs/synthetic/faster_rcnn_r18_fpn_synth-finetune_1.5k_digits.py \
#     --data-root ../shared/data/svhn-mini
#   python tools/test.py \
#     configs/synthetic/faster_rcnn_r18_fpn_synth-finetune_1.5k_digits.py \
#     work_dirs/faster_rcnn_r18_fpn_synth-finetune_1.5k_digits/iter_1500.pth \
#     --data-root ../shared/data/svhn-mini --out work_dirs/submission
_base_ = '../faster_rcnn_r18_fpn_demo_digits.py'

# the last checkpoint of the pretraining config (tools/train.py writes it
# under work_dirs/<config name>/)
load_from = ('work_dirs/faster_rcnn_r18_fpn_synth-pretrain_2k_digits/'
             'iter_2000.pth')
# printed when load_from is missing: the command that makes it
load_from_hint = (
    'python tools/train.py '
    'configs/synthetic/faster_rcnn_r18_fpn_synth-pretrain_2k_digits.py '
    '--data-root DATA')
# real photos in the course layout; usually given as --data-root
data_root = 'data/svhn/'
max_iters = 1500
val_interval = 500

# Reading (tools/test.py, DigitInferencer, tools/read_numbers.py): detect,
# rescale each photo so its digits are 70 input pixels tall (the median
# training digit after the 256x128 resize), detect again; pred.json gets
# the boxes of both passes fused, numbers are read from the second. Chosen on
# test-framed held-out train images (docs/synthetic.md#the-test-framing);
# --cfg-options read_model=None reads in one pass, read_model.fuse=None
# keeps the second pass alone.
read_model = dict(type='DigitScaleNormTTAModel', digit_height=70, fuse='max')

train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
val_evaluator = [
    dict(_base_.val_evaluator[0], ann_file=data_root + 'valid.json'),
    *_base_.val_evaluator[1:],
]
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
param_scheduler = [
    _base_.param_scheduler[0],
    dict(
        _base_.param_scheduler[1],
        end=max_iters,
        T_max=max_iters - _base_.param_scheduler[1].begin),
]
default_hooks = dict(checkpoint=dict(interval=val_interval))
