# The primary config with TensorBoard logging next to the json logs
# (needs `pip install tensorboard`); view with
#   tensorboard --logdir work_dirs/faster_rcnn_r50_fpn_tensorboard_digits
# Any other config gets it the same way: a child config with these lines.
# `--cfg-options` cannot do it: its values are numbers, strings or lists of
# them, never a dict to append to visualizer.vis_backends, and mmengine
# forbids a second base that also sets `visualizer`.
_base_ = './faster_rcnn_r50_fpn_digits.py'

visualizer = dict(vis_backends=[
    dict(type='LocalVisBackend'),  # scalars.json, for plot_curves.py
    dict(type='TensorboardVisBackend'),
])
