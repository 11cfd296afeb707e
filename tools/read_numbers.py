"""Read the house number in any image with a trained checkpoint.

Prints ``file,number,score`` rows on stdout in input order (``-1``: no
number, or an unreadable file named by a ``warning:`` line), read as
``tools/test.py`` reads ``pred.csv``. Logs and progress go to stderr.

Example:
    python tools/read_numbers.py configs/faster_rcnn_r50_fpn_digits.py \
        work_dirs/faster_rcnn_r50_fpn_digits/best.pth photo.jpg shots/ \
        'more/*.jpg' --out-dir work_dirs/read --csv numbers.csv
"""
import argparse
import contextlib
import os.path as osp
import sys
import warnings
from typing import Optional

import torch

from mmdigit.apis import DigitInferencer
from mmdigit.apis.inferencer import (UnreadableImageWarning,
                                     is_folder_or_pattern, list_images,
                                     number_rows_to_csv, read_image_numbers)
from mmdigit.utils import (InputNotFoundError, UserInputError,
                           atomic_write_bytes)
from mmdigit.utils.cli import exit_on_user_error, load_cfg


def parse_args():
    parser = argparse.ArgumentParser(
        description='Read the number in images: prints file,number,score')
    parser.add_argument('config', help='config file of the checkpoint')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        'inputs',
        nargs='+',
        help='image files, folders (their images) or quoted glob patterns')
    parser.add_argument(
        '--out-dir', help='write pictures of the reading to OUT_DIR/vis/')
    parser.add_argument('--csv', help='also write the rows to this file')
    parser.add_argument(
        '--thr',
        type=float,
        help='score threshold (default: the checkpoint\'s recorded one, '
        'else 0.5)')
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        help='default: cuda when available')
    parser.add_argument(
        '--batch-size', type=int, default=1, help='images per forward pass')
    return parser.parse_args()


def find_images(inputs: list, device: Optional[str] = None) -> list:
    """The images to read; fail early on nothing to read or no GPU."""
    if device == 'cuda' and not torch.cuda.is_available():
        raise UserInputError('--device cuda: no CUDA device is available')
    images = list_images(inputs)
    # a missing file among others is reported as unreadable, per image
    if not any(osp.exists(path) for path in images):
        raise InputNotFoundError(f'no images found in: {" ".join(inputs)}')
    return images


def warning_printer(progress: bool):
    """``warnings.showwarning`` printing an unreadable image as one
    ``warning:`` line."""
    default, start = warnings.showwarning, '\n' if progress else ''

    def show(message, category, *args, **kwargs):
        if issubclass(category, UnreadableImageWarning):
            print(f'{start}warning: {message}', file=sys.stderr, flush=True)
        else:
            default(message, category, *args, **kwargs)

    return show


def main():
    args = parse_args()
    with exit_on_user_error():
        cfg = load_cfg(args.config)
        images = find_images(args.inputs, args.device)
        progress = any(is_folder_or_pattern(i) for i in args.inputs)
        stdout = sys.stdout
        # MMEngine's logger prints to stdout; keep stdout for the rows only
        with contextlib.redirect_stdout(sys.stderr), \
                warnings.catch_warnings():
            warnings.simplefilter('always', UnreadableImageWarning)
            # mmengine's drawing warns about every box touching the image
            # edge and about the inferencer's visualizer having no save_dir
            warnings.filterwarnings(
                'ignore', module=r'mmengine\.visualization')
            warnings.showwarning = warning_printer(progress)
            reader = DigitInferencer(
                cfg,
                args.checkpoint,
                device=args.device,
                score_thr=args.thr,
                show_progress=False)
            print(f'score threshold: {reader.score_thr} '
                  f'({reader.score_thr_source})')
            rows = read_image_numbers(
                reader,
                images,
                out_dir=args.out_dir,
                batch_size=args.batch_size,
                progress=progress)
    text = number_rows_to_csv(rows)
    stdout.write(text)
    if args.csv:
        atomic_write_bytes(args.csv, text.encode())
    if args.out_dir:
        print(f'pictures: {osp.join(args.out_dir, "vis")}', file=sys.stderr)


if __name__ == '__main__':
    main()
