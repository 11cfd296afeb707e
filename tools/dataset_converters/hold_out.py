"""Hold out part of train/ as a valid/ to select on (course layout).

Writes OUT_ROOT/train/ + train.json (the rest of DATA_ROOT's train/) and
OUT_ROOT/valid/ + valid.json (the held-out images), both numbered from 1,
and OUT_ROOT/holdout.json with each new split's source image ids. Train and
select (thresholds, reader options, checkpoints) on OUT_ROOT, then report
on DATA_ROOT's own valid/, which nothing has seen.

Example:
    python tools/dataset_converters/hold_out.py ../shared/data/svhn-mini \\
        data/svhn-mini-holdout --ids 1401-1600
    python tools/dataset_converters/hold_out.py data/hw2 data/hw2-holdout \\
        --num 3000 --seed 0 --link
"""
import argparse

from mmdigit.datasets import hold_out, parse_id_ranges
from mmdigit.utils.cli import exit_on_user_error


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='source dataset (course layout)')
    parser.add_argument('out_root', help='destination data_root')
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        '--ids', help='train image ids to hold out, e.g. 1401-1600 or 3,7')
    which.add_argument(
        '--num',
        type=int,
        metavar='N',
        help='hold out N train images drawn at random')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the --num draw')
    parser.add_argument(
        '--link',
        action='store_true',
        help='hard-link the images instead of copying them')
    return parser.parse_args()


def main():
    args = parse_args()
    with exit_on_user_error():
        ids = parse_id_ranges(args.ids) if args.ids else None
        summary = hold_out(
            args.data_root,
            args.out_root,
            ids=ids,
            num=args.num,
            seed=args.seed,
            link=args.link)
    print('\nsummary:')
    for split, n in summary.items():
        print(f'{split:<6} {n["images"]:>7} images  {n["boxes"]:>7} boxes')


if __name__ == '__main__':
    main()
