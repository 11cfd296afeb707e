"""Render the synthetic dataset in the course layout (image k of split j
is sample k - 1 of SyntheticDigitDataset(seed=split_seed(seed, j))).

Example:
    python tools/make_synthetic.py data/synthetic --num-train 3000
"""
import argparse

from mmdigit.datasets import make_synthetic_dataset


def main():
    parser = argparse.ArgumentParser(
        description='Render synthetic house numbers in the course layout '
        '(train/, valid/, test/, train.json, valid.json)')
    parser.add_argument('out_dir', help='destination data_root')
    parser.add_argument('--num-train', type=int, default=3000)
    parser.add_argument('--num-valid', type=int, default=300)
    parser.add_argument('--num-test', type=int, default=300)
    parser.add_argument(
        '--seed', type=int, default=0, help='same seed, same bytes')
    args = parser.parse_args()
    counts = make_synthetic_dataset(args.out_dir, args.num_train,
                                    args.num_valid, args.num_test, args.seed)
    print(f'wrote {counts} to {args.out_dir}')


if __name__ == '__main__':
    main()
