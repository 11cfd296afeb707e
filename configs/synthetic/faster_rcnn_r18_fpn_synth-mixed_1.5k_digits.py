# The CPU-sized model trained from random weights on real photos and
# rendered house numbers mixed half and half in every batch (in expectation):
# the "mixed" arm of the synthetic-pretraining comparison (docs/synthetic.md).
#
#   python tools/train.py \
#     configs/synthetic/faster_rcnn_r18_fpn_synth-mixed_1.5k_digits.py \
#     --data-root ../shared/data/svhn-mini
_base_ = './faster_rcnn_r18_fpn_synth-finetune_1.5k_digits.py'

load_from = None
# renderer seed: sample i is rendered from (synth_seed, i)
synth_seed = 0
# each part of the mixture is this long, so the shuffled concatenation
# draws half of every batch from each, in expectation
part_length = 1000000
num_real = 1600  # svhn-mini train; only sets the share, any size works

synthetic = dict(
    type='SyntheticDigitDataset',
    length=part_length,
    seed=synth_seed,
    pipeline=[
        dict(type='LoadImageFromNDArray'),
        _base_.train_pipeline[1],
        *_base_.train_pipeline[-2:],  # no zoom-out for rendered scenes
    ])
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(
                type='RepeatDataset',
                times=part_length // num_real,
                dataset=_base_.train_dataloader.dataset),
            synthetic,
        ]))
