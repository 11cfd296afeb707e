"""Look at a submission: images with boxes, scores and the read number.

Draws N images of a submission (folder or zip); with ``--ann-file`` titles
show the GT number, wrong reads first (red), and a digit confusion matrix
PNG is written beside.

Example:
    python tools/test.py CONFIG CKPT --split valid --out work_dirs/sub_valid
    python tools/analysis_tools/show_predictions.py work_dirs/sub_valid \
        data/hw2/valid --ann-file data/hw2/valid.json --out-dir work_dirs/look
"""
import argparse
import os.path as osp

from mmdigit.evaluation import (digit_confusion_matrix, load_gt_numbers,
                                load_submission)
from mmdigit.utils import InputNotFoundError
from mmdigit.utils.cli import exit_on_user_error
from mmdigit.visualization import (mistakes_first, plot_confusion_matrix,
                                   plot_predictions)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('pred', help='submission folder or submission.zip')
    parser.add_argument('img_dir', help='folder of the <image_id>.png files')
    parser.add_argument('--ann-file', help='labelled json of those images')
    parser.add_argument('--num', type=int, default=16, help='images to draw')
    parser.add_argument(
        '--score-thr', type=float, default=0.5, help='boxes drawn/counted')
    parser.add_argument(
        '--out-dir', default='work_dirs/show', help='where the PNGs go')
    return parser.parse_args()


def main():
    args = parse_args()
    with exit_on_user_error():
        detections, numbers = load_submission(args.pred)
        if not osp.isdir(args.img_dir):
            raise InputNotFoundError(f'image folder not found: {args.img_dir}')
        gt_numbers = ids = None
        if args.ann_file:
            gt_numbers = load_gt_numbers(args.ann_file)
            ids = mistakes_first(numbers, gt_numbers)
    out = plot_predictions(
        args.img_dir,
        detections,
        numbers,
        osp.join(args.out_dir, 'predictions.png'),
        img_ids=ids,
        gt_numbers=gt_numbers,
        score_thr=args.score_thr,
        num=args.num)
    print(f'predictions: {out}')
    if args.ann_file:
        matrix = digit_confusion_matrix(detections, args.ann_file,
                                        args.score_thr)
        out = plot_confusion_matrix(
            matrix, osp.join(args.out_dir, 'confusion_matrix.png'))
        wrong = sum(numbers[i] != gt_numbers.get(i) for i in numbers)
        print(f'confusion matrix: {out}')
        print(f'{wrong} of {len(numbers)} numbers read wrong')


if __name__ == '__main__':
    main()
