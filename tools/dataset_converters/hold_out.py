"""Hold out part of train/ as a valid/ to select on (course layout).

Writes OUT_ROOT/valid/ (the held-out images), train/ (the rest) and
holdout.json: select on OUT_ROOT, report on DATA_ROOT's own valid/.

Example:
    python tools/dataset_converters/hold_out.py data/hw2 data/hw2-holdout \\
        --num 3000 --seed 0 --link
"""
import argparse

from mmdigit.datasets import hold_out, parse_id_ranges
from mmdigit.utils.cli import exit_on_user_error


def main():
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
    args = parser.parse_args()
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
