"""Write a labelled split reframed as SVHN's test split frames its photos.

OUT_ROOT/<split>/ and <split>.json get DATA_ROOT's <split> zoomed out to
the test framing, framing.json the source ids and framing (docs/data.md).

Example:
    python tools/dataset_converters/test_framing.py \\
        ../shared/data/svhn-mini data/svhn-mini-testlike
"""
import argparse

from mmdigit.datasets import reframe_split
from mmdigit.utils.cli import exit_on_user_error


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='source dataset (course layout)')
    parser.add_argument('out_root', help='destination data_root')
    parser.add_argument(
        '--split', default='valid', help='labelled split to reframe')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of placements and subsample')
    parser.add_argument(
        '--match-lengths',
        action='store_true',
        help='keep the largest subsample with the test mix of number '
        'lengths (1-4 digits: 19/64/16/1 %%)')
    args = parser.parse_args()
    with exit_on_user_error():
        s = reframe_split(
            args.data_root,
            args.out_root,
            split=args.split,
            seed=args.seed,
            match_lengths=args.match_lengths)
    print(f'\n{s["images"]} images; median digit/image height '
          f'{s["ratio_before"]:.2f} -> {s["ratio_after"]:.2f}, digit height '
          f'{s["digit_px_before"]:.0f} -> {s["digit_px_after"]:.0f} px')


if __name__ == '__main__':
    main()
