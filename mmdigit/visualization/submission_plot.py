"""Pictures of a submission: images with their boxes and read numbers."""
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..datasets.digit_coco import DIGIT_METAINFO
from ..evaluation.functional import select_digits
from ..utils.digits import DIGIT_CLASSES, category_id_to_label, xywh_to_xyxy


def boxes_read(detections: Sequence[dict],
               score_thr: float = 0.5,
               reader_cfg: Optional[dict] = None) -> Dict[int, List[dict]]:
    """The detections each image's number is read from.

    Args:
        detections (Sequence[dict]): ``pred.json`` entries.
        score_thr (float): Score threshold of the reading. Defaults to 0.5.
        reader_cfg (dict, optional): Reader options of
            :func:`select_digits`; None keeps its defaults.

    Returns:
        dict[int, list[dict]]: ``{image_id: detections}`` in reading order,
        for the images with at least one box at ``score_thr``.
    """
    by_image: Dict[int, List[dict]] = defaultdict(list)
    for det in detections:
        if det['score'] >= score_thr:
            by_image[int(det['image_id'])].append(det)
    for img_id, dets in by_image.items():
        keep = select_digits(
            xywh_to_xyxy([d['bbox'] for d in dets]),
            np.array([d['score'] for d in dets]), score_thr,
            **(reader_cfg or {}))
        by_image[img_id] = [dets[i] for i in keep]
    return dict(by_image)


def plot_predictions(img_dir: str,
                     detections: Sequence[dict],
                     numbers: Dict[int, str],
                     out_file: str,
                     img_ids: Optional[Sequence[int]] = None,
                     gt_numbers: Optional[Dict[int, str]] = None,
                     score_thr: float = 0.5,
                     num: int = 16,
                     cols: int = 4,
                     reader_cfg: Optional[dict] = None) -> str:
    """Draw images with their digit boxes, scores and read numbers to a PNG.

    The boxes drawn are the ones :func:`select_digits` reads the number
    from at ``score_thr`` with ``reader_cfg``: with the threshold and
    reader options ``pred.csv`` was read with, the boxes spell the number
    in each title.

    Args:
        img_dir (str): Folder of ``<image_id>.png`` files.
        detections (Sequence[dict]): ``pred.json`` entries.
        numbers (dict[int, str]): ``pred.csv`` as ``{image_id: number}``.
        out_file (str): PNG path.
        img_ids (Sequence[int], optional): Images to draw, in order;
            defaults to the first ``num`` ids of ``numbers``.
        gt_numbers (dict[int, str], optional): Ground-truth numbers; a wrong
            read is titled in red.
        score_thr (float): Score threshold of the reading.
            Defaults to 0.5.
        num (int): Number of images. Defaults to 16.
        cols (int): Grid columns. Defaults to 4.
        reader_cfg (dict, optional): Reader options of
            :func:`select_digits`; None keeps its defaults.

    Returns:
        str: ``out_file``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    from PIL import Image

    by_image = boxes_read(detections, score_thr, reader_cfg)
    if img_ids is None:
        img_ids = sorted(numbers)
    img_ids = list(img_ids)[:num]
    rows = max(1, int(np.ceil(len(img_ids) / cols)))
    fig, axes = plt.subplots(
        rows, cols, figsize=(3 * cols, 2.2 * rows), squeeze=False)
    palette = np.array(DIGIT_METAINFO['palette']) / 255
    for ax in axes.flat:
        ax.axis('off')
    for ax, img_id in zip(axes.flat, img_ids):
        path = osp.join(img_dir, f'{img_id}.png')
        try:
            ax.imshow(Image.open(path).convert('RGB'))
        except OSError:
            ax.text(
                0.5, 0.5, 'unreadable', ha='center', transform=ax.transAxes)
        for det in by_image.get(img_id, []):
            x, y, w, h = det['bbox']
            label = category_id_to_label(det['category_id'])
            color = palette[label % len(palette)]
            ax.add_patch(
                Rectangle((x, y), w, h, fill=False, lw=1.5, edgecolor=color))
            ax.text(
                x,
                y,
                f'{label} {det["score"]:.2f}',
                fontsize=6,
                color='white',
                va='bottom',
                bbox=dict(facecolor=color, pad=0.5, lw=0))
        title = f'id {img_id}: {numbers.get(img_id, "?")}'
        wrong = False
        if gt_numbers is not None:
            gt = gt_numbers.get(img_id, '')
            title += f' (gt {gt})'
            wrong = numbers.get(img_id) != gt
        ax.set_title(title, fontsize=9, color='red' if wrong else 'black')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return out_file


def mistakes_first(numbers: Dict[int, str],
                   gt_numbers: Dict[int, str]) -> List[int]:
    """Image ids with wrongly read numbers first, then by id.

    Args:
        numbers (dict[int, str]): ``pred.csv`` as ``{image_id: number}``.
        gt_numbers (dict[int, str]): Ground-truth numbers.

    Returns:
        list[int]: The ids of ``numbers`` in that order.
    """
    return sorted(numbers, key=lambda i: (numbers[i] == gt_numbers.get(i), i))


def plot_confusion_matrix(matrix: np.ndarray, out_file: str) -> str:
    """Draw an 11x11 digit confusion matrix (with counts) to a PNG.

    Args:
        matrix (np.ndarray): From
            :func:`mmdigit.evaluation.digit_confusion_matrix`.
        out_file (str): PNG path.

    Returns:
        str: ``out_file``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    labels = list(DIGIT_CLASSES) + ['none']
    # colour by share of each GT row, so rare digits are as readable
    rows = matrix.sum(axis=1, keepdims=True)
    share = matrix / np.maximum(rows, 1)
    fig, ax = plt.subplots(figsize=(7, 6))
    im = ax.imshow(share, cmap='Blues', vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            ax.text(
                j,
                i,
                str(count),
                ha='center',
                va='center',
                fontsize=7,
                color='white' if share[i, j] > 0.5 else 'black')
    ax.set_xticks(range(11))
    ax.set_xticklabels(labels)
    ax.set_yticks(range(11))
    ax.set_yticklabels(labels)
    ax.set_xlabel('predicted digit (none: digit missed)')
    ax.set_ylabel('ground-truth digit (none: box on no digit)')
    fig.colorbar(im, ax=ax, label='share of the GT row')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return out_file
