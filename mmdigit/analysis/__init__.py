from .anchors import (DEFAULT_ANCHORS, anchor_fit, anchor_shapes, centered_iou,
                      config_anchors, kmeans_iou, load_box_sizes,
                      propose_anchors, roi_levels, scale_to_input,
                      train_resize)

__all__ = [
    'DEFAULT_ANCHORS', 'anchor_fit', 'anchor_shapes', 'centered_iou',
    'config_anchors', 'kmeans_iou', 'load_box_sizes', 'propose_anchors',
    'roi_levels', 'scale_to_input', 'train_resize'
]
