# Photometric augmentation from the course reports: ColorJitter
# (brightness/contrast/saturation 0.2, p=0.3) and GaussianBlur (kernel 3,
# sigma 0.3-0.8, p=0.3), on the original image before Resize, as the reports
# applied them. Still no flips. The rest of the pipeline is the primary's.
_base_ = '../faster_rcnn_r50_fpn_digits.py'

jitter = 0.2
aug_prob = 0.3

train_pipeline = [
    *_base_.train_pipeline[:2],  # LoadImageFromFile, LoadAnnotations
    dict(
        type='ColorJitter',
        brightness=jitter,
        contrast=jitter,
        saturation=jitter,
        prob=aug_prob),
    dict(type='GaussianBlur', kernel_size=3, sigma=(0.3, 0.8), prob=aug_prob),
    *_base_.train_pipeline[2:],  # zoom-out, Resize, PackDetInputs
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
