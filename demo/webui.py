"""A web page that reads house numbers: MMDetection's Gradio demo, for
digits.

Drop one or many photos (PNG, JPEG, any size; phone photos are turned by
their EXIF orientation): each is shown with its digit boxes and scores
under a band with the number read, and a table of ``file,number,score``
(``tools/read_numbers.py``'s rows) downloads as CSV. The score threshold
starts at the checkpoint's recorded one and the reading uses its recorded
reader options, as ``tools/read_numbers.py`` does; moving the slider reads
the numbers again without running the model again. A file that cannot be
read is a message on the page. Example images are offered from the
config's ``test/`` folder (``--data-root``) when it is there.

With ``--ann-file`` a second tab browses a labelled split: every image is
read once at start, wrong numbers first with the ground truth beside the
read number, filtered by digit count, each image drawn as
``tools/analysis_tools/show_predictions.py`` draws it.

The page works offline: no CDN (system fonts, external script and font
links removed from the page), no telemetry, no share link unless
``--share`` asks for one. It serves on the loopback interface unless
``--host`` says otherwise; only uploads, the pictures it draws and the
example and browsed images are served as files.

Example:
    python demo/webui.py configs/faster_rcnn_r18_fpn_demo_digits.py \
        work_dirs/demo/iter_500.pth --ann-file data/synthetic/valid.json
"""
import argparse
import atexit
import copy
import os
import os.path as osp
import re
import shutil
import socket
import sys
import tempfile
import threading
import traceback
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch

from mmdigit.apis import DigitInferencer
from mmdigit.apis.inferencer import list_images, number_rows_to_csv
from mmdigit.evaluation.functional import (NO_NUMBER, read_numbers,
                                           select_digits)
from mmdigit.utils import InputNotFoundError, UserInputError
from mmdigit.utils.digits import label_to_category_id, xyxy_to_xywh

#: Pictures on the page are shrunk to this longest side (phone photos).
MAX_SHOWN_SIDE = 1024
#: Example images offered from ``<data root>/test``.
NUM_EXAMPLES = 8
#: Gradio's default port.
DEFAULT_PORT = 7860
#: What the page says about an upload the reader cannot decode.
UNREADABLE = 'could not be read as an image: no number read'

#: ``<script src="http...">`` and ``<link href="http...">`` tags: the page
#: loads nothing from outside the server (Gradio 3's page asks a CDN for an
#: iframe resizer and preconnects to a font service).
_EXTERNAL_TAG = re.compile(
    r'<script\b[^>]*\bsrc\s*=\s*["\']https?://[^>]*>\s*</script\s*>'
    r'|<link\b[^>]*\bhref\s*=\s*["\']https?://[^>]*>', re.IGNORECASE)


def import_gradio():
    """Import Gradio offline: no telemetry, no version checks, nothing
    fetched from a hub (set before Gradio and huggingface_hub read them).

    Returns:
        module: ``gradio``.
    """
    os.environ['GRADIO_ANALYTICS_ENABLED'] = 'False'
    os.environ.setdefault('HF_HUB_DISABLE_TELEMETRY', '1')
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    with warnings.catch_warnings():
        # gradio 3 imports setuptools' deprecated pkg_resources
        warnings.filterwarnings('ignore', message='pkg_resources')
        import gradio
    if getattr(gradio, '__file__', None) is None:
        # a folder left behind by an uninstall imports as an empty package
        raise ImportError('gradio is not installed')
    return gradio


def strip_external_refs(html: str) -> str:
    """Drop the script and link tags that load from another host.

    Args:
        html (str): A page.

    Returns:
        str: The page without ``<script src="http(s)://...">`` and
        ``<link href="http(s)://...">`` tags.
    """
    return _EXTERNAL_TAG.sub('', html)


class OfflinePageMiddleware:
    """ASGI middleware applying :func:`strip_external_refs` to HTML
    responses.

    Args:
        app: The ASGI app (Gradio's FastAPI app).
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        start: Optional[dict] = None
        body: List[bytes] = []

        async def send_page(message: dict) -> None:
            nonlocal start
            if message['type'] == 'http.response.start':
                headers = dict(message.get('headers') or [])
                if headers.get(b'content-type', b'').startswith(
                        b'text/html') and b'content-encoding' not in headers:
                    start = message  # sent with the rewritten body
                    return
            elif message['type'] == 'http.response.body' and start:
                body.append(message.get('body', b''))
                if message.get('more_body', False):
                    return
                page = strip_external_refs(b''.join(body).decode(
                    errors='surrogateescape')).encode(errors='surrogateescape')
                headers = [(k, v) for k, v in start['headers']
                           if k.lower() != b'content-length']
                headers.append((b'content-length', str(len(page)).encode()))
                await send(dict(start, headers=headers))
                await send(dict(type='http.response.body', body=page))
                return
            await send(message)

        await self.app(scope, receive, send_page)


def upload_path(file) -> str:
    """The local path of a Gradio upload (a path or a tempfile wrapper)."""
    return file if isinstance(file, str) else file.name


def upload_name(file) -> str:
    """The file name a person uploaded, for the page and the CSV."""
    if isinstance(file, str):
        return osp.basename(file)
    return osp.basename(getattr(file, 'orig_name', None) or file.name)


def read_photos(reader: DigitInferencer, paths: Sequence[str]) -> list:
    """Run the model on image files once.

    Args:
        reader (DigitInferencer): The reader.
        paths (Sequence[str]): Image files; a file that cannot be decoded
            gives a sample marked ``unreadable`` (and a warning).

    Returns:
        list[DetDataSample]: One prediction per path, with the number read
        at ``reader.score_thr``.
    """
    if not paths:
        return []
    return reader(
        list(paths), return_datasamples=True, no_save_pred=True)['predictions']


def with_threshold(reader: DigitInferencer,
                   score_thr: float) -> DigitInferencer:
    """A shallow copy of ``reader`` reading at ``score_thr`` (the model and
    the drawing are shared, the original keeps its threshold)."""
    reader = copy.copy(reader)
    reader.score_thr = float(score_thr)
    return reader


def reread(reader: DigitInferencer, samples: Sequence) -> list:
    """Read the numbers of predictions again at ``reader.score_thr``.

    Args:
        reader (DigitInferencer): The reader (threshold, reader options).
        samples (Sequence[DetDataSample]): From :func:`read_photos`.

    Returns:
        list[DetDataSample]: Copies with ``number`` and ``number_score``
        read again.
    """
    out = []
    for sample in samples:
        sample = sample.clone()
        number, score = reader.read_number(sample.pred_instances)
        sample.set_metainfo(dict(number=number, number_score=score))
        out.append(sample)
    return out


def digits_read(reader: DigitInferencer, sample):
    """A prediction with only the boxes its number is read from.

    Args:
        reader (DigitInferencer): The reader (threshold, reader options).
        sample (DetDataSample): A prediction.

    Returns:
        DetDataSample: A copy whose ``pred_instances`` are the digits read,
        left to right (what ``show_predictions.py`` and ``make demo``'s
        pictures draw).
    """
    inst = sample.pred_instances
    keep = select_digits(inst.bboxes.cpu().numpy(),
                         inst.scores.cpu().numpy(), reader.score_thr,
                         **reader.reader_cfg)
    sample = sample.clone()
    sample.pred_instances = inst[torch.from_numpy(keep).to(inst.scores.device)]
    return sample


def digit_scores(reader: DigitInferencer, sample) -> List[Tuple[int, float]]:
    """The digits a number is read from, left to right, with their scores.

    Args:
        reader (DigitInferencer): The reader (threshold, reader options).
        sample (DetDataSample): A prediction.

    Returns:
        list[tuple[int, float]]: ``(digit, score)`` pairs.
    """
    inst = digits_read(reader, sample).pred_instances
    return [(int(label), float(score))
            for label, score in zip(inst.labels, inst.scores)]


def caption(name: str, reader: DigitInferencer, sample) -> str:
    """One line under a picture: the file, the number, each digit's score.

    Args:
        name (str): File name.
        reader (DigitInferencer): The reader.
        sample (DetDataSample): Its prediction.

    Returns:
        str: E.g. ``'12.png: 128 (1 0.98, 2 0.95, 8 0.91)'``.
    """
    if sample.metainfo.get('unreadable', False):
        return f'{name}: {UNREADABLE}'
    if not sample.number:
        return f'{name}: no number (no digit scores {reader.score_thr:.2f})'
    digits = ', '.join(f'{d} {s:.2f}' for d, s in digit_scores(reader, sample))
    return f'{name}: {sample.number} ({digits})'


def number_rows(names: Sequence[str],
                samples: Sequence) -> List[Tuple[str, str, Optional[float]]]:
    """``tools/read_numbers.py``'s rows: ``(file, number, score)``, the
    number ``'-1'`` and the score None when nothing is read."""
    return [(name, s.number or NO_NUMBER, s.number_score)
            for name, s in zip(names, samples)]


def table_rows(rows: Sequence[Tuple[str, str, Optional[float]]]) -> list:
    """Rows for the page's table: scores as text with 4 decimals, as in the
    CSV."""
    return [[name, number, '' if score is None else f'{score:.4f}']
            for name, number, score in rows]


def shown(img: np.ndarray) -> np.ndarray:
    """Shrink a picture to :data:`MAX_SHOWN_SIDE` for the page."""
    if max(img.shape[:2]) > MAX_SHOWN_SIDE:
        img = mmcv.imrescale(img, MAX_SHOWN_SIDE / max(img.shape[:2]))
    return img


class SplitBrowser:
    """A labelled split read once, looked at at any threshold.

    Args:
        reader (DigitInferencer): The reader; the split is read at start.
        ann_file (str): Labelled COCO json (course layout).
        img_dir (str, optional): Its images; default: the folder named as
            the json beside it (``valid.json`` -> ``valid/``).
        batch_size (int): Images per forward pass. Defaults to 1.
    """

    def __init__(self,
                 reader: DigitInferencer,
                 ann_file: str,
                 img_dir: Optional[str] = None,
                 batch_size: int = 1) -> None:
        from mmdigit.evaluation.functional.submission import (load_coco,
                                                              load_gt_numbers)
        if not osp.isfile(ann_file):
            raise InputNotFoundError(f'--ann-file not found: {ann_file}')
        img_dir = img_dir or osp.splitext(ann_file)[0]
        if not osp.isdir(img_dir):
            raise InputNotFoundError(
                f'image folder of {ann_file} not found: {img_dir} '
                '(give it with --img-dir)')
        coco = load_coco(ann_file)
        self.ann_file, self.img_dir = ann_file, img_dir
        self.gt_numbers = load_gt_numbers(coco)
        self.ids = sorted(coco.getImgIds())
        if not self.ids:
            raise UserInputError(f'{ann_file}: no images')
        self.files = {
            i: osp.join(img_dir, coco.imgs[i]['file_name'])
            for i in self.ids
        }
        self.reader_cfg = dict(reader.reader_cfg)
        self.detections: List[dict] = []
        print(
            f'reading the {len(self.ids)} images of {ann_file}...',
            file=sys.stderr,
            flush=True)
        for start in range(0, len(self.ids), 64):
            ids = self.ids[start:start + 64]
            preds = reader([self.files[i] for i in ids],
                           batch_size=batch_size,
                           no_save_pred=True)['predictions']
            for img_id, pred in zip(ids, preds):
                self.detections += [
                    dict(
                        image_id=img_id,
                        bbox=[float(v) for v in xyxy_to_xywh([box])[0]],
                        score=float(score),
                        category_id=int(label_to_category_id(label)))
                    for box, score, label in zip(
                        pred['bboxes'], pred['scores'], pred['labels'])
                ]
        self._pictures = tempfile.mkdtemp(prefix='mmdigit-web-browse-')
        atexit.register(shutil.rmtree, self._pictures, True)

    def digit_counts(self) -> List[str]:
        """Filter choices: ``'all'`` and the GT numbers' lengths."""
        counts = sorted({len(n) for n in self.gt_numbers.values()})
        return ['all'] + [str(c) for c in counts]

    def numbers(self, score_thr: float) -> Dict[int, str]:
        """Each image's number at ``score_thr`` (``'-1'``: none), as
        ``pred.csv`` reads it."""
        return dict(
            read_numbers(self.detections, self.ids, score_thr,
                         **self.reader_cfg))

    def table(self,
              score_thr: float,
              digits: str = 'all') -> Tuple[list, List[int], str]:
        """The split at ``score_thr``: wrong numbers first.

        Args:
            score_thr (float): Score threshold.
            digits (str): ``'all'`` or a GT digit count to show.

        Returns:
            tuple: Table rows (id, file, ground truth, read, right), their
            image ids, and a one-line summary.
        """
        from mmdigit.visualization import mistakes_first
        numbers = self.numbers(score_thr)
        ids = mistakes_first(numbers, self.gt_numbers)
        if digits != 'all':
            ids = [i for i in ids if len(self.gt_numbers[i]) == int(digits)]
        rows = [[
            i,
            osp.basename(self.files[i]), self.gt_numbers[i], numbers[i],
            'yes' if numbers[i] == self.gt_numbers[i] else 'NO'
        ] for i in ids]
        right = sum(numbers[i] == self.gt_numbers[i] for i in self.ids)
        summary = (f'**{osp.basename(self.ann_file)}**: {right} of '
                   f'{len(self.ids)} numbers read right '
                   f'({right / len(self.ids):.1%}) at score threshold '
                   f'{score_thr:.2f}')
        if digits != 'all':
            wrong = sum(row[-1] == 'NO' for row in rows)
            summary += (f'; {len(rows)} {digits}-digit numbers shown, '
                        f'{wrong} read wrong')
        return rows, ids, summary

    def picture(self, img_id: int, score_thr: float) -> str:
        """Draw one image as ``show_predictions.py`` draws it.

        Args:
            img_id (int): Image id.
            score_thr (float): Score threshold of the reading.

        Returns:
            str: PNG path.
        """
        from mmdigit.visualization import plot_predictions
        img_dir = self.img_dir
        if osp.basename(self.files[img_id]) != f'{img_id}.png':
            # plot_predictions reads <id>.png
            img_dir = tempfile.mkdtemp(dir=self._pictures)
            os.symlink(
                osp.abspath(self.files[img_id]),
                osp.join(img_dir, f'{img_id}.png'))
        out_dir = tempfile.mkdtemp(dir=self._pictures)
        return plot_predictions(
            img_dir,
            self.detections,
            self.numbers(score_thr),
            osp.join(out_dir, f'{img_id}.png'),
            img_ids=[img_id],
            gt_numbers=self.gt_numbers,
            score_thr=score_thr,
            num=1,
            cols=1,
            reader_cfg=self.reader_cfg)


def find_examples(data_root: Optional[str],
                  num: int = NUM_EXAMPLES) -> List[str]:
    """The first images of ``<data_root>/test``, if it is there."""
    if not data_root or not osp.isdir(osp.join(data_root, 'test')):
        return []
    return list_images(osp.join(data_root, 'test'))[:num]


def build_demo(reader: DigitInferencer,
               title: str,
               examples: Sequence[str] = (),
               browser: Optional[SplitBrowser] = None):
    """The page.

    Args:
        reader (DigitInferencer): The reader, at its default threshold.
        title (str): What is served (config and checkpoint), for the page.
        examples (Sequence[str]): Example image files.
        browser (SplitBrowser, optional): A labelled split to browse.

    Returns:
        gradio.Blocks: The page, not launched.
    """
    gr = import_gradio()
    # one model run or drawing at a time: the model, mmdet's visualizer and
    # matplotlib are shared
    lock = threading.Lock()
    work_dir = tempfile.mkdtemp(prefix='mmdigit-web-')
    atexit.register(shutil.rmtree, work_dir, True)

    def show_photos(photos: dict, score_thr: float):
        """Page outputs for read photos at ``score_thr``."""
        names, paths, samples = (
            photos.get(k, []) for k in ('names', 'paths', 'samples'))
        if not samples:
            return '', [], [], None
        thr_reader = with_threshold(reader, score_thr)
        samples = reread(thr_reader, samples)
        unreadable = [s.metainfo.get('unreadable', False) for s in samples]
        # the unreadable ones are named in the message, not drawn
        drawn = [i for i, bad in enumerate(unreadable) if not bad]
        pictures = thr_reader.visualize(
            [paths[i] for i in drawn],
            [digits_read(thr_reader, samples[i]) for i in drawn],
            return_vis=True,
            pred_score_thr=score_thr) if drawn else []
        gallery = [(shown(img), caption(names[i], thr_reader, samples[i]))
                   for i, img in zip(drawn, pictures)]
        message = '\n'.join(f'- **{name}** {UNREADABLE}'
                            for name, bad in zip(names, unreadable) if bad)
        rows = number_rows(names, samples)
        csv_path = osp.join(tempfile.mkdtemp(dir=work_dir), 'numbers.csv')
        with open(csv_path, 'w') as f:
            f.write(number_rows_to_csv(rows))
        return message, gallery, table_rows(rows), csv_path

    def failed(e: Exception):
        # a bug: the traceback goes to the server's log, one line to the page
        traceback.print_exc()
        return (f'**error**: the photos could not be read '
                f'({type(e).__name__}: {e})')

    def read(names: List[str], paths: List[str], score_thr: float):
        with lock:
            try:
                samples = read_photos(reader, paths)
                photos = dict(names=names, paths=paths, samples=samples)
                return (photos, *show_photos(photos, score_thr))
            except Exception as e:
                return {}, failed(e), [], [], None

    def read_uploads(files, score_thr: float):
        files = files or []
        return read([upload_name(f) for f in files],
                    [upload_path(f) for f in files], score_thr)

    def read_example(score_thr: float, evt: gr.SelectData):
        path = examples[evt.index]
        return read([osp.basename(path)], [path], score_thr)

    def read_all_examples(score_thr: float):
        return read([osp.basename(p) for p in examples], list(examples),
                    score_thr)

    def rethreshold_photos(photos: dict, score_thr: float):
        with lock:
            try:
                return show_photos(photos, score_thr)
            except Exception as e:
                return failed(e), [], [], None

    theme = gr.themes.Default(
        font=['ui-sans-serif', 'system-ui', 'sans-serif'],
        font_mono=['ui-monospace', 'Consolas', 'monospace'])
    with gr.Blocks(
            title='mmdigit: read house numbers',
            theme=theme,
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
        with gr.Tab('Photos'):
            with gr.Row():
                with gr.Column(scale=1):
                    files = gr.File(
                        label='Photos: drop one or many (PNG, JPEG)',
                        file_count='multiple',
                        file_types=['image'],
                        elem_id='photos')
                    if examples:
                        example_gallery = gr.Gallery(
                            [(p, osp.basename(p)) for p in examples],
                            label='Examples from '
                            f'{osp.dirname(examples[0])}: click one to '
                            'read it',
                            columns=4,
                            height='auto',
                            elem_id='examples')
                        read_examples = gr.Button(
                            'Read all examples', elem_id='read-examples')
                with gr.Column(scale=2):
                    message = gr.Markdown(elem_id='messages')
                    gallery = gr.Gallery(
                        label='Numbers read',
                        columns=2,
                        height='auto',
                        object_fit='contain',
                        elem_id='pictures')
                    table = gr.Dataframe(
                        headers=['file', 'number', 'score'],
                        datatype=['str', 'str', 'str'],
                        interactive=False,
                        label='Numbers',
                        elem_id='numbers')
                    csv_file = gr.File(
                        label='numbers.csv', interactive=False, elem_id='csv')
        photo_outputs = [photos, message, gallery, table, csv_file]
        files.change(read_uploads, [files, thr], photo_outputs)
        if examples:
            example_gallery.select(read_example, [thr], photo_outputs)
            read_examples.click(read_all_examples, [thr], photo_outputs)
        thr.release(rethreshold_photos, [photos, thr], photo_outputs[1:])
        if browser is not None:
            add_browse_tab(gr, browser, thr, lock)
    return demo


def add_browse_tab(gr, browser: SplitBrowser, thr,
                   lock: threading.Lock) -> None:
    """The tab browsing a labelled split (inside the page's Blocks); its
    drawing (matplotlib) holds ``lock``."""
    rows, ids, summary = browser.table(thr.value)
    with gr.Tab(f'Browse {osp.basename(browser.ann_file)}'):
        summary_md = gr.Markdown(summary, elem_id='browse-summary')
        digits = gr.Dropdown(
            browser.digit_counts(),
            value='all',
            label='digits in the ground truth',
            elem_id='browse-digits')
        with gr.Row():
            with gr.Column(scale=3):
                table = gr.Dataframe(
                    rows,
                    headers=['id', 'file', 'ground truth', 'read', 'right'],
                    datatype=['number', 'str', 'str', 'str', 'str'],
                    interactive=False,
                    label='Wrong numbers first: click a row to see it',
                    elem_id='browse-table')
            with gr.Column(scale=2):
                picture = gr.Image(
                    browser.picture(ids[0], thr.value) if ids else None,
                    type='filepath',
                    label='As show_predictions.py draws it',
                    elem_id='browse-picture')

    def update(score_thr: float, count: str):
        rows, ids, summary = browser.table(score_thr, count)
        with lock:
            first = browser.picture(ids[0], score_thr) if ids else None
        return summary, rows, first

    def select(score_thr: float, rows, evt: gr.SelectData):
        # the id from the table as the page holds it (sorted by a click on
        # a column, the rows move)
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) \
            else evt.index
        with lock:
            return browser.picture(int(rows.iloc[row, 0]), score_thr)

    outputs = [summary_md, table, picture]
    digits.change(update, [thr, digits], outputs)
    thr.release(update, [thr, digits], outputs)
    table.select(select, [thr, table], picture)


def serve(demo, host: str, port: int, allowed_paths: Sequence[str]) -> None:
    """Serve the page until Ctrl-C, printing its address first.

    Gradio's app on uvicorn, without Gradio's ``launch``: the socket is
    bound here (``port`` 0 takes a free one, printed), the page goes
    through :class:`OfflinePageMiddleware`, and the working directory is
    not served (Gradio 3 serves it by default); ``allowed_paths`` are.

    Args:
        demo (gradio.Blocks): The page.
        host (str): Address to listen on.
        port (int): Port; 0 picks a free one.
        allowed_paths (Sequence[str]): Folders whose files the page shows.
    """
    import uvicorn
    import_gradio()
    from gradio.routes import App
    demo.allowed_paths = [osp.abspath(p) for p in allowed_paths]
    demo.validate_queue_settings()
    demo.config = demo.get_config_file()
    app = App.create_app(demo)
    app.cwd = tempfile.mkdtemp(prefix='mmdigit-web-cwd-')
    atexit.register(shutil.rmtree, app.cwd, True)
    app.add_middleware(OfflinePageMiddleware)
    app.add_event_handler('startup', demo.startup_events)

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as e:  # gaierror included: an unknown host name
        raise UserInputError(
            f'cannot listen on {host}:{port}: {e.strerror}') from None
    bound = sock.getsockname()[1]
    url_host = f'[{host}]' if ':' in host else host
    print(f'serving on http://{url_host}:{bound}/ (Ctrl-C stops)', flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level='warning'))
    server.run(sockets=[sock])


def parse_args():
    parser = argparse.ArgumentParser(
        description='A web page that reads house numbers in photos')
    parser.add_argument('config', help='config file of the checkpoint')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--host',
        default='127.0.0.1',
        help='address to listen on (default: loopback only)')
    parser.add_argument(
        '--port',
        type=int,
        default=DEFAULT_PORT,
        help=f'port (default {DEFAULT_PORT}; 0: a free one)')
    parser.add_argument(
        '--ann-file',
        help='labelled json of a split to browse (course layout)')
    parser.add_argument(
        '--img-dir',
        help='images of --ann-file (default: the folder named as the json)')
    parser.add_argument(
        '--data-root',
        help='dataset folder whose test/ images are offered as examples '
        '(default: the config\'s)')
    parser.add_argument(
        '--thr',
        type=float,
        help='score threshold the page starts at (default: the validation-'
        'best threshold recorded in the checkpoint, else 0.5)')
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        help='default: cuda when available')
    parser.add_argument(
        '--share',
        action='store_true',
        help='also ask Gradio for a public share link (needs the internet)')
    return parser.parse_args()


def main():
    from mmdigit.tools import exit_on_user_error, load_cfg, require_checkpoint
    args = parse_args()
    with exit_on_user_error():
        try:
            import_gradio()
        except ImportError:
            raise UserInputError(
                'the web page needs Gradio: make web, or pip install -r '
                'requirements/web.txt -c requirements.txt') from None
        cfg = load_cfg(args.config)
        require_checkpoint(args.checkpoint, 'checkpoint')
        if args.device == 'cuda':
            if not torch.cuda.is_available():
                raise UserInputError(
                    '--device cuda: no CUDA device is available')
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
        browser = None
        if args.ann_file:
            browser = SplitBrowser(reader, args.ann_file, args.img_dir)
        examples = find_examples(args.data_root or cfg.get('data_root'))
        title = (f'`{osp.basename(args.config)}`, '
                 f'`{osp.basename(args.checkpoint)}`')
        demo = build_demo(reader, title, examples, browser)
        allowed = [osp.dirname(p) for p in examples]
        if browser is not None:
            allowed.append(browser.img_dir)
        if args.share:
            from starlette.middleware import Middleware
            demo.launch(
                server_name=args.host,
                server_port=args.port,
                share=True,
                allowed_paths=[osp.abspath(p) for p in allowed],
                app_kwargs=dict(
                    middleware=[Middleware(OfflinePageMiddleware)]))
            return
        serve(demo, args.host, args.port, allowed)


if __name__ == '__main__':
    main()
