"""Score an existing submission as the course grader would.

Task 1: pycocotools COCOeval of pred.json; Task 2: exact-match accuracy of
pred.csv (plus count accuracy, character error rate, per-length accuracy).

Example:
    python tools/eval_submission.py work_dirs/x/submission_valid \
        ../shared/data/svhn-mini/valid.json
"""
import argparse
import json

from mmdigit.evaluation import evaluate_submission
from mmdigit.utils.cli import exit_on_user_error


def parse_args():
    parser = argparse.ArgumentParser(
        description='Score pred.json / pred.csv against a labelled json')
    parser.add_argument('pred', help='submission folder or submission.zip')
    parser.add_argument('ann_file', help='labelled json (e.g. valid.json)')
    parser.add_argument(
        '--json',
        action='store_true',
        help='print the metrics as one json object')
    return parser.parse_args()


def main():
    args = parse_args()
    with exit_on_user_error():
        metrics = evaluate_submission(args.pred, args.ann_file)
    if args.json:
        print(json.dumps(metrics))
        return
    width = max(map(len, metrics))
    for key, value in metrics.items():
        print(f'{key:<{width}}  {value:.4f}')


if __name__ == '__main__':
    main()
