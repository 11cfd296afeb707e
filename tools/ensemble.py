"""Ensemble submissions with weighted boxes fusion (WBF).

Fuses the pred.json of several submissions (folders or zips) with mmdet's
``weighted_boxes_fusion`` (only boxes of the same digit fuse), reads
pred.csv again from the fused boxes, and writes pred.json, pred.csv and
submission.zip to ``--out``. Fused scores are no single model's (with
``--conf-type avg`` a digit one model of two found scores half), so the
pred.csv threshold is ``--csv-thr``, else the one of 0.05..0.95 reading the
most numbers of ``--ann-file`` right, else 0.5. With ``--ann-file`` every
input and the fused submission are scored too (mAP, AP50, digit accuracy).

Example:
    # 1. fuse the validation submissions: scores, and the pred.csv threshold
    python tools/test.py configs/a.py work_dirs/a/epoch_12.pth --split valid
    python tools/test.py configs/b.py work_dirs/b/epoch_12.pth --split valid
    python tools/ensemble.py work_dirs/a/submission_valid \
        work_dirs/b/submission_valid --out work_dirs/ensemble_valid \
        --ann-file data/svhn/valid.json
    # 2. fuse the test submissions at the threshold step 1 printed
    python tools/ensemble.py work_dirs/a/submission work_dirs/b/submission \
        --out work_dirs/ensemble --csv-thr 0.45
"""
import argparse

from mmengine.config import DictAction
from terminaltables import AsciiTable

from mmdigit.evaluation import (CONF_TYPES, DEFAULT_CSV_SCORE_THR, NO_NUMBER,
                                SWEEP_THRS, evaluate_submission,
                                fuse_submissions, load_gt_numbers,
                                read_numbers, sweep_score_thr,
                                write_submission)
from mmdigit.evaluation.functional.ensemble import check_weights
from mmdigit.utils import UserInputError
from mmdigit.utils.cli import exit_on_user_error


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'pred', nargs='+', help='submission folders or submission.zip files')
    parser.add_argument(
        '--out', required=True, help='folder for the fused submission')
    parser.add_argument(
        '--weights',
        type=float,
        nargs='+',
        help='one weight per submission '
        '(default 1 each)')
    parser.add_argument(
        '--iou-thr',
        type=float,
        default=0.55,
        help='IoU above which boxes of one digit fuse (default 0.55)')
    parser.add_argument(
        '--skip-box-thr',
        type=float,
        default=0.0,
        help='boxes scoring under this are dropped before fusion (default 0)')
    parser.add_argument(
        '--conf-type',
        choices=CONF_TYPES,
        default='avg',
        help='how fused scores are computed (default avg)')
    parser.add_argument(
        '--csv-thr',
        type=float,
        help='score threshold for pred.csv (default: the best on --ann-file, '
        f'else {DEFAULT_CSV_SCORE_THR})')
    parser.add_argument(
        '--reader-cfg',
        nargs='+',
        action=DictAction,
        default={},
        help='reader options for pred.csv, e.g. nms_ios_thr=0.6 (default: '
        'the reader\'s defaults; give the models\' validation ones)')
    parser.add_argument(
        '--ann-file',
        help='labelled json of the same images (e.g. '
        'valid.json): choose the pred.csv threshold, score every submission')
    args = parser.parse_args()
    try:
        check_weights(args.weights, len(args.pred), '--weights')
    except ValueError as e:
        parser.error(str(e))
    return args


def main():
    args = parse_args()
    thr = DEFAULT_CSV_SCORE_THR if args.csv_thr is None else args.csv_thr
    with exit_on_user_error():
        detections, rows = fuse_submissions(
            args.pred,
            args.weights,
            args.iou_thr,
            args.skip_box_thr,
            args.conf_type,
            csv_score_thr=thr,
            reader_cfg=args.reader_cfg)
        if args.csv_thr is not None:
            source = 'given by --csv-thr'
        elif args.ann_file:
            gt_numbers = load_gt_numbers(args.ann_file)
            img_ids = sorted(gt_numbers)
            missing = set(img_ids) - {i for i, _ in rows}
            if missing:
                raise UserInputError(
                    f'{len(missing)} image(s) of {args.ann_file} have no '
                    f'pred.csv row in any submission, e.g. '
                    f'{sorted(missing)[:5]}: not the same images?')
            reader = args.reader_cfg
            thr, accuracy, _ = sweep_score_thr(
                lambda t:
                [n for _, n in read_numbers(detections, img_ids, t, **reader)],
                [gt_numbers[i] for i in img_ids])
            rows = read_numbers(detections, [i for i, _ in rows], thr,
                                **reader)
            source = (f'best exact-match accuracy ({accuracy:.4f}) on '
                      f'{args.ann_file} over {SWEEP_THRS[0]}..'
                      f'{SWEEP_THRS[-1]}')
        else:
            source = ('DEFAULT_CSV_SCORE_THR; pass --ann-file to choose it '
                      'on labelled images, or --csv-thr')
        print(f'pred.csv score threshold: {thr} ({source})')
        zip_path = write_submission(args.out, detections, rows)
        num_read = sum(n != NO_NUMBER for _, n in rows)
        print(f'wrote {zip_path} (pred.json: {len(detections)} fused boxes; '
              f'pred.csv: {len(rows)} rows, {num_read} numbers read)')

        if args.ann_file:
            keys = ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'digit/accuracy')
            table = [['submission', 'mAP', 'AP50', 'digit accuracy']]
            for path in args.pred + [args.out]:
                m = evaluate_submission(path, args.ann_file)
                name = path + (' (fused)' if path == args.out else '')
                table.append([name] + [f'{m[k]:.4f}' for k in keys])
            print(AsciiTable(table).table)


if __name__ == '__main__':
    main()
