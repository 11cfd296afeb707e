"""Ensemble submissions with weighted boxes fusion (WBF).

Fuses the pred.json of several submissions (folders or zips), reads
pred.csv from the fused boxes (at ``--csv-thr``, else the best threshold on
``--ann-file``, else 0.5) and writes a submission to ``--out``; with
``--ann-file`` every input and the result are scored (docs/ensembling.md).

Example:
    python tools/ensemble.py work_dirs/a/submission_valid \
        work_dirs/b/submission_valid --out work_dirs/ensemble_valid \
        --ann-file data/svhn/valid.json
"""
import argparse

from mmengine.config import DictAction
from terminaltables import AsciiTable

from mmdigit.evaluation import (CONF_TYPES, DEFAULT_CSV_SCORE_THR, NO_NUMBER,
                                SWEEP_THRS, check_reader_cfg,
                                evaluate_submission, fuse_detections,
                                load_gt_numbers, load_submission, read_numbers,
                                sweep_score_thr, write_submission)
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
        help='one weight per submission (default 1 each)')
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
        help='labelled json of the same images (e.g. valid.json): choose '
        'the pred.csv threshold, score every submission')
    args = parser.parse_args()
    try:
        check_weights(args.weights, len(args.pred), '--weights')
    except ValueError as e:
        parser.error(str(e))
    return args


def main():
    args = parse_args()
    thr, source = args.csv_thr, 'given by --csv-thr'
    # a misspelt reader option is a KeyError: the user's, not a bug
    with exit_on_user_error('--reader-cfg: ', (KeyError, )):
        reader = check_reader_cfg(args.reader_cfg)
    with exit_on_user_error():
        submissions = [load_submission(path) for path in args.pred]
        detections = fuse_detections([dets for dets, _ in submissions],
                                     args.weights, args.iou_thr,
                                     args.skip_box_thr, args.conf_type)
        # a pred.csv row for every image with a row in any input
        img_ids = sorted(set().union(*(labels for _, labels in submissions)))
        if thr is None and args.ann_file:
            gt_numbers = load_gt_numbers(args.ann_file)
            gt_ids = sorted(gt_numbers)
            missing = sorted(set(gt_ids) - set(img_ids))
            if missing:
                raise UserInputError(
                    f'{len(missing)} image(s) of {args.ann_file} have no '
                    f'pred.csv row in any submission, e.g. {missing[:5]}: '
                    'not the same images?')
            thr, accuracy, _ = sweep_score_thr(
                lambda t:
                [n for _, n in read_numbers(detections, gt_ids, t, **reader)],
                [gt_numbers[i] for i in gt_ids])
            source = (f'best exact-match accuracy ({accuracy:.4f}) on '
                      f'{args.ann_file} over {SWEEP_THRS[0]}..'
                      f'{SWEEP_THRS[-1]}')
        elif thr is None:
            thr = DEFAULT_CSV_SCORE_THR
            source = ('DEFAULT_CSV_SCORE_THR; pass --ann-file to choose it '
                      'on labelled images, or --csv-thr')
        print(f'pred.csv score threshold: {thr} ({source})')
        rows = read_numbers(detections, img_ids, thr, **reader)
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
