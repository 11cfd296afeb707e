"""Validate a dataset in the course layout before training.

Prints every problem of train/, valid/ and test/ with its file and json
entry, then a summary; exit code 1 on any error (docs/data.md).

Example:
    python tools/check_dataset.py ../shared/data/svhn-mini
"""
import argparse
import sys
from collections import Counter

from mmdigit.datasets import check_dataset
from mmdigit.datasets.checks import ERROR


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root', help='dataset folder')
    parser.add_argument(
        '--no-decode',
        action='store_true',
        help='read image headers only (faster; misses truncated files)')
    parser.add_argument(
        '--max-lines',
        type=int,
        default=200,
        help='print at most this many problems per split')
    args = parser.parse_args()
    result = check_dataset(
        args.data_root, decode=not args.no_decode, progress=True)
    print()
    summary = []
    for split, problems in result.items():
        for p in problems[:args.max_lines]:
            print(p)
        if len(problems) > args.max_lines:
            print(f'... {len(problems) - args.max_lines} more in {split}')
        kinds = Counter((p.level, p.kind) for p in problems)
        errors = sum(n for (level, _), n in kinds.items() if level == ERROR)
        detail = ', '.join(f'{n} {kind}'
                           for (_, kind), n in sorted(kinds.items()))
        summary.append(f'{split:<6} {errors:>5} errors  '
                       f'{len(problems) - errors:>5} warnings  {detail}')
    print('\nsummary:', *summary, sep='\n')
    failed = any(p.level == ERROR for ps in result.values() for p in ps)
    print('FAILED: fix the errors above' if failed else 'OK')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
