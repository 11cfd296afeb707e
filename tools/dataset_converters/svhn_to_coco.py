"""Convert SVHN format 1 (digitStruct.mat + png) to the course layout.

Writes OUT_ROOT/<split>/<id>.png and <split>.json (boxes clipped to the
image, empty ones dropped); --split-valid N moves N train images to valid/.

Example:
    python tools/dataset_converters/svhn_to_coco.py data/svhn_raw \\
        data/svhn --split-valid 3000
"""
import argparse

from mmdigit.datasets import convert_svhn
from mmdigit.utils.cli import exit_on_user_error


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'svhn_root', help='folder with SVHN train/, test/, extra/')
    parser.add_argument('out_root', help='destination data_root')
    parser.add_argument(
        '--splits',
        nargs='+',
        default=['train', 'test'],
        choices=['train', 'test', 'extra'],
        help='SVHN splits to convert')
    parser.add_argument(
        '--split-valid',
        type=int,
        default=0,
        metavar='N',
        help='move N random train images to valid/ (default: none)')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the valid draw')
    parser.add_argument(
        '--link',
        action='store_true',
        help='hard-link the images instead of copying them')
    args = parser.parse_args()
    with exit_on_user_error():
        summary = convert_svhn(
            args.svhn_root,
            args.out_root,
            splits=args.splits,
            split_valid=args.split_valid,
            seed=args.seed,
            link=args.link)
    print('\nsummary:')
    for split, n in summary.items():
        print(f'{split:<6} {n["images"]:>7} images  {n["boxes"]:>7} boxes  '
              f'{n["clipped"]:>5} clipped  {n["dropped"]:>5} dropped')
    print(f'\ncheck it with: python tools/check_dataset.py {args.out_root}')


if __name__ == '__main__':
    main()
