"""A web page that reads house numbers: MMDetection's Gradio demo, for
digits.

Drop photos (any size; EXIF orientation applied): each is shown with its
digit boxes under the number read, as ``tools/read_numbers.py`` reads it,
and its ``file,number,score`` rows download as CSV. The threshold slider
reads again without running the model again. Examples come from the
config's ``test/`` folder (``--data-root``); ``--ann-file`` adds a tab
browsing a labelled split (``demo/webui_browse.py``).

The page works offline (no telemetry, version check or share link unless
``--share``), listens on loopback unless ``--host`` says otherwise, and
keeps its files in a temporary folder removed at exit.

Example:
    python demo/webui.py configs/faster_rcnn_r18_fpn_demo_digits.py \
        work_dirs/demo/iter_500.pth --ann-file data/synthetic/valid.json
"""
import argparse
import atexit
import copy
import os
import os.path as osp
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import warnings
from typing import Optional, Sequence

import mmcv
import numpy as np
import torch

from mmdigit.apis import DigitInferencer
from mmdigit.apis.inferencer import (list_images, number_rows_text,
                                     number_rows_to_csv)
from mmdigit.evaluation.functional import NO_NUMBER, select_digits
from mmdigit.utils import UserInputError

#: Pictures on the page are shrunk to this longest side (phone photos).
MAX_SHOWN_SIDE = 1024
#: Example images offered from ``<data root>/test``.
NUM_EXAMPLES = 8
#: Gradio's default port.
DEFAULT_PORT = 7860
#: What the page says about an upload the reader cannot decode.
UNREADABLE = 'could not be read as an image: no number read'


def import_gradio():
    """Import Gradio with no telemetry, version check or hub access (set
    before Gradio and huggingface_hub read them); returns the module."""
    os.environ['GRADIO_ANALYTICS_ENABLED'] = 'False'
    os.environ.setdefault('HF_HUB_DISABLE_TELEMETRY', '1')
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    import gradio
    if getattr(gradio, '__file__', None) is None:
        # a folder left behind by an uninstall imports as an empty package
        raise ImportError('gradio is not installed')
    return gradio


def reread(reader: DigitInferencer, sample):
    """A prediction read again at ``reader.score_thr``: a copy with its
    ``number`` and ``number_score`` and only the boxes the number is read
    from, left to right (the boxes ``show_predictions.py`` draws)."""
    sample, inst = sample.clone(), sample.pred_instances
    keep = select_digits(inst.bboxes.cpu().numpy(),
                         inst.scores.cpu().numpy(), reader.score_thr,
                         **reader.reader_cfg)
    inst = sample.pred_instances = inst[torch.from_numpy(keep).to(
        inst.scores.device)]
    sample.set_metainfo(
        dict(
            number=''.join(str(int(d)) for d in inst.labels),
            number_score=float(inst.scores.min()) if len(inst) else None))
    return sample


def caption(name: str, score_thr: float, sample) -> str:
    """The line under a picture (``sample`` from :func:`reread`), e.g.
    ``'12.png: 128 (1 0.98, 2 0.95, 8 0.91)'``: each digit's score."""
    if not sample.number:
        return f'{name}: no number (no digit scores {score_thr:.2f})'
    inst = sample.pred_instances
    digits = ', '.join(f'{int(d)} {float(s):.2f}'
                       for d, s in zip(inst.labels, inst.scores))
    return f'{name}: {sample.number} ({digits})'


def shown(img: np.ndarray) -> np.ndarray:
    """Shrink a picture to :data:`MAX_SHOWN_SIDE` for the page."""
    if max(img.shape[:2]) > MAX_SHOWN_SIDE:
        img = mmcv.imrescale(img, MAX_SHOWN_SIDE / max(img.shape[:2]))
    return img


def build_demo(reader: DigitInferencer,
               title: str,
               examples: Sequence[str] = (),
               browser=None,
               work_dir: Optional[str] = None):
    """The page (``gradio.Blocks``, not launched) of ``reader`` at its
    default threshold, titled ``title``, offering ``examples``, with the
    tab of ``browser`` (a ``webui_browse.SplitBrowser``) if given, its CSV
    files written under ``work_dir``."""
    gr = import_gradio()
    # one model run or drawing at a time: the model, mmdet's visualizer and
    # matplotlib are shared
    lock = threading.Lock()

    def show(photos: dict, score_thr: float):
        """Page outputs for the photos read, at ``score_thr``."""
        names, paths, samples = (
            photos.get(k, []) for k in ('names', 'paths', 'samples'))
        if not samples:
            return '', [], [], None
        thr_reader = copy.copy(reader)  # the model and drawing are shared
        thr_reader.score_thr = float(score_thr)
        samples = [reread(thr_reader, s) for s in samples]
        bad = [s.metainfo.get('unreadable', False) for s in samples]
        drawn = [i for i, b in enumerate(bad) if not b]  # the bad: a message
        pictures = thr_reader.visualize([paths[i] for i in drawn],
                                        [samples[i] for i in drawn],
                                        return_vis=True,
                                        pred_score_thr=score_thr) \
            if drawn else []
        gallery = [(shown(img), caption(names[i], score_thr, samples[i]))
                   for i, img in zip(drawn, pictures)]
        message = '\n'.join(f'- **{name}** {UNREADABLE}'
                            for name, b in zip(names, bad) if b)
        rows = [(name, s.number or NO_NUMBER, s.number_score)
                for name, s in zip(names, samples)]
        csv_path = osp.join(tempfile.mkdtemp(dir=work_dir), 'numbers.csv')
        with open(csv_path, 'w') as f:
            f.write(number_rows_to_csv(rows))
        return message, gallery, number_rows_text(rows), csv_path

    def locked(fn, *args):
        """``fn(*args)`` holding the lock; a bug is one line on the page
        (its traceback in the server's log) and empty outputs."""
        with lock:
            try:
                return fn(*args)
            except Exception as e:
                traceback.print_exc()
                outputs = [
                    f'**error**: the photos could not be read '
                    f'({type(e).__name__}: {e})', [], [], None
                ]
                return outputs if fn is show else [{}] + outputs

    def read(paths: Sequence[str], score_thr: float):
        paths = list(paths or [])
        samples = reader(
            paths, return_datasamples=True,
            no_save_pred=True)['predictions'] if paths else []
        photos = dict(
            names=[osp.basename(p) for p in paths],
            paths=paths,
            samples=samples)
        return [photos, *show(photos, score_thr)]

    with gr.Blocks(
            title='mmdigit: read house numbers',
            analytics_enabled=False) as demo:
        gr.Markdown('# Read house numbers\n'
                    f'{title}. Drop photos: each is read, its digit boxes '
                    'drawn with their scores under the number read.')
        thr = gr.Slider(
            0,
            1,
            value=reader.score_thr,
            step=0.01,
            label=f'score threshold (default {reader.score_thr:.2f}: '
            f'{reader.score_thr_source})',
            elem_id='thr')
        photos = gr.State({})
        with gr.Tab('Photos'), gr.Row():
            with gr.Column(scale=1):
                # an upload keeps its file name (Gradio 4+)
                files = gr.File(
                    label='Photos: drop one or many (PNG, JPEG)',
                    file_count='multiple',
                    file_types=['image'],
                    elem_id='photos')
                if examples:
                    example_gallery = gr.Gallery(
                        [(p, osp.basename(p)) for p in examples],
                        label=f'Examples from {osp.dirname(examples[0])}: '
                        'click one to read it',
                        columns=3,
                        allow_preview=False,
                        interactive=False,
                        elem_id='examples')
                    read_all = gr.Button('Read all examples')
            with gr.Column(scale=2):
                message = gr.Markdown(elem_id='messages')
                gallery = gr.Gallery(
                    label='Numbers read',
                    columns=2,
                    object_fit='contain',
                    interactive=False,
                    elem_id='pictures')
                table = gr.Dataframe(
                    headers=['file', 'number', 'score'],
                    datatype=['str', 'str', 'str'],
                    interactive=False,
                    label='Numbers',
                    elem_id='numbers')
                csv_file = gr.File(
                    label='numbers.csv', interactive=False, elem_id='csv')
        outputs = [photos, message, gallery, table, csv_file]
        files.change(lambda f, t: locked(read, f, t), [files, thr], outputs)
        if examples:

            def read_example(score_thr: float, evt: gr.SelectData):
                return locked(read, [examples[evt.index]], score_thr)

            example_gallery.select(read_example, [thr], outputs)
            read_all.click(lambda t: locked(read, examples, t), [thr], outputs)
        # change: a drag re-reads once more after the reading in progress
        thr.change(lambda p, t: locked(show, p, t), [photos, thr], outputs[1:])
        if browser is not None:
            browser.add_tab(gr, thr, lock)
    return demo


def serve(demo, host: str, port: int, allowed_paths: Sequence[str],
          share: bool) -> None:
    """Serve the page ``demo`` on ``host:port`` (port 0: a free one)
    until Ctrl-C or SIGTERM, printing its address first; it shows files of
    ``allowed_paths`` only, and asks Gradio for a share link if ``share``.
    """
    try:  # the address checked (and a free port found) here: one line
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            port = sock.getsockname()[1]
    except OSError as e:  # gaierror included: an unknown host name
        raise UserInputError(
            f'cannot listen on {host}:{port}: {e.strerror}') from None
    url_host = f'[{host}]' if ':' in host else host
    demo.launch(
        server_name=url_host,
        server_port=port,
        share=share,
        prevent_thread_lock=True,
        quiet=True,
        ssr_mode=False,
        mcp_server=False,
        allowed_paths=[osp.abspath(p) for p in allowed_paths])
    print(f'serving on http://{url_host}:{port}/ (Ctrl-C stops)', flush=True)
    if demo.share_url:
        print(f'public share link: {demo.share_url}', flush=True)
    try:
        while demo.is_running:
            time.sleep(0.2)
    finally:
        demo.close(verbose=False)


def parse_args():
    parser = argparse.ArgumentParser(
        description='A web page that reads house numbers in photos')
    add = parser.add_argument
    add('config', help='config file of the checkpoint')
    add('checkpoint', help='checkpoint file')
    add('--host',
        default='127.0.0.1',
        help='address to listen on (default: loopback only)')
    add('--port',
        type=int,
        default=DEFAULT_PORT,
        help=f'port (default {DEFAULT_PORT}; 0: a free one)')
    add('--ann-file',
        help='labelled json of a split to browse (course layout)')
    add('--img-dir',
        help='images of --ann-file (default: the folder named as the json)')
    add('--data-root',
        help='dataset folder whose test/ images are offered as examples '
        '(default: the config\'s)')
    add('--thr',
        type=float,
        help='score threshold the page starts at (default: the validation-'
        'best threshold recorded in the checkpoint, else 0.5)')
    add('--device',
        choices=['cpu', 'cuda'],
        help='default: cuda when available')
    add('--share',
        action='store_true',
        help='also ask Gradio for a public share link (needs the internet)')
    return parser.parse_args()


def main():
    args = parse_args()
    # SIGTERM stops as Ctrl-C does: the temporary files go too (atexit)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        run(args)
    except KeyboardInterrupt:
        sys.exit(130)


def run(args) -> None:
    """Load the reader and serve the page (``args``: :func:`parse_args`)."""
    from mmdigit.utils.cli import (exit_on_user_error, load_cfg,
                                   require_checkpoint)
    with exit_on_user_error():
        # uploads, Gradio's copies and the pictures drawn: removed at exit
        work_dir = tempfile.mkdtemp(prefix='mmdigit-web-')
        atexit.register(shutil.rmtree, work_dir, True)
        os.environ['GRADIO_TEMP_DIR'] = osp.join(work_dir, 'gradio')
        os.environ['GRADIO_EXAMPLES_CACHE'] = osp.join(work_dir, 'examples')
        try:
            import_gradio()
        except ImportError:
            raise UserInputError(
                'the web page needs Gradio: make web, or pip install -r '
                'requirements/web.txt -c requirements.txt') from None
        cfg = load_cfg(args.config)
        require_checkpoint(args.checkpoint, 'checkpoint')
        if args.device == 'cuda' and not torch.cuda.is_available():
            raise UserInputError('--device cuda: no CUDA device is available')
        # mmengine's drawing warns about boxes touching the image edge
        warnings.filterwarnings('ignore', module=r'mmengine\.visualization')
        reader = DigitInferencer(
            cfg,
            args.checkpoint,
            device=args.device,
            score_thr=args.thr,
            show_progress=False)
        print(
            f'score threshold: {reader.score_thr} '
            f'({reader.score_thr_source})',
            file=sys.stderr)
        browser, allowed = None, []
        if args.ann_file:
            # beside this script (on sys.path when it runs)
            from webui_browse import SplitBrowser
            browser = SplitBrowser(reader, args.ann_file, args.img_dir,
                                   work_dir)
            allowed.append(browser.img_dir)
        data_root = args.data_root or cfg.get('data_root') or ''
        test_dir = osp.join(data_root, 'test')
        examples = list_images(test_dir)[:NUM_EXAMPLES] \
            if data_root and osp.isdir(test_dir) else []
        allowed += [osp.dirname(p) for p in examples]
        title = (f'`{osp.basename(args.config)}`, '
                 f'`{osp.basename(args.checkpoint)}`')
        demo = build_demo(reader, title, examples, browser, work_dir)
        serve(demo, args.host, args.port, allowed, args.share)


if __name__ == '__main__':
    main()
