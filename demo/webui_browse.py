"""The ``--ann-file`` tab of ``demo/webui.py``: a labelled split read once
at start, looked at at any score threshold, wrong numbers first beside the
ground truth, filtered by digit count, each image drawn as
``tools/analysis_tools/show_predictions.py`` draws it (its
``pred.json`` entries, ``pred.csv`` reading and picture are mmdigit's).
"""
import os
import os.path as osp
import sys
import tempfile
import threading
from typing import Dict, List, Optional, Tuple

import numpy as np

from mmdigit.apis import DigitInferencer
from mmdigit.evaluation import DigitSubmissionDumper
from mmdigit.evaluation.functional import number_metrics, read_numbers
from mmdigit.evaluation.functional.submission import load_coco, load_gt_numbers
from mmdigit.utils import InputNotFoundError, UserInputError
from mmdigit.visualization import mistakes_first, plot_predictions


class SplitBrowser:
    """A labelled split read once, looked at at any threshold.

    Args:
        reader (DigitInferencer): The reader; the split is read at start.
        ann_file (str): Labelled COCO json (course layout).
        img_dir (str, optional): Its images; default: the folder named as
            the json beside it (``valid.json`` -> ``valid/``).
        work_dir (str, optional): Where the pictures are drawn.
    """

    def __init__(self,
                 reader: DigitInferencer,
                 ann_file: str,
                 img_dir: Optional[str] = None,
                 work_dir: Optional[str] = None) -> None:
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
        self.work_dir = tempfile.mkdtemp(prefix='browse-', dir=work_dir)
        print(
            f'reading the {len(self.ids)} images of {ann_file}...',
            file=sys.stderr)
        preds = reader([self.files[i] for i in self.ids],
                       no_save_pred=True)['predictions']

        def entries(boxes_of):
            """pred.json's entries, as tools/test.py writes them."""
            return DigitSubmissionDumper('').format_results([
                dict(
                    img_id=i,
                    unreadable=p['unreadable'],
                    bboxes=np.array(d['bboxes'], np.float32).reshape(-1, 4),
                    scores=np.array(d['scores'], np.float32),
                    labels=np.array(d['labels'], np.int64))
                for i, p in zip(self.ids, preds) for d in [boxes_of(p)]
            ])[0]

        self.detections = entries(lambda p: p)
        # the boxes pred.csv reads numbers from, where the reading model
        # keeps them apart from pred.json's
        self.number_detections = entries(
            lambda p: p.get('number_instances', p))

    def numbers(self, score_thr: float) -> Dict[int, str]:
        """Each image's number at ``score_thr`` (``'-1'``: none), as
        ``pred.csv`` reads it."""
        return dict(
            read_numbers(self.number_detections, self.ids, score_thr,
                         **self.reader_cfg))

    def table(self,
              score_thr: float,
              digits: str = 'all') -> Tuple[list, List[int], str]:
        """The split at ``score_thr``, wrong numbers first.

        Args:
            score_thr (float): Score threshold.
            digits (str): ``'all'`` or a GT digit count to show.

        Returns:
            tuple: Table rows (id, file, ground truth, read, right), their
            image ids, and a one-line summary.
        """
        numbers, gts = self.numbers(score_thr), self.gt_numbers
        ids = mistakes_first(numbers, gts)
        if digits != 'all':
            ids = [i for i in ids if len(gts[i]) == int(digits)]
        rows = [[
            i,
            osp.basename(self.files[i]), gts[i], numbers[i],
            'yes' if numbers[i] == gts[i] else 'NO'
        ] for i in ids]
        accuracy = number_metrics([numbers[i] for i in self.ids],
                                  [gts[i] for i in self.ids])['accuracy']
        summary = (f'**{osp.basename(self.ann_file)}**: '
                   f'{round(accuracy * len(self.ids))} of {len(self.ids)} '
                   f'numbers read right ({accuracy:.1%}) at score threshold '
                   f'{score_thr:.2f}')
        if digits != 'all':
            wrong = sum(row[-1] == 'NO' for row in rows)
            summary += (f'; {len(rows)} {digits}-digit numbers shown, '
                        f'{wrong} read wrong')
        return rows, ids, summary

    def picture(self, img_id: int, score_thr: float) -> str:
        """Draw an image as ``show_predictions.py`` does; returns the PNG."""
        img_dir = self.img_dir
        if osp.basename(self.files[img_id]) != f'{img_id}.png':
            # plot_predictions reads <id>.png
            img_dir = tempfile.mkdtemp(dir=self.work_dir)
            os.symlink(
                osp.abspath(self.files[img_id]),
                osp.join(img_dir, f'{img_id}.png'))
        out_file = osp.join(
            tempfile.mkdtemp(dir=self.work_dir), f'{img_id}.png')
        return plot_predictions(
            img_dir,
            self.detections,
            self.numbers(score_thr),
            out_file,
            img_ids=[img_id],
            gt_numbers=self.gt_numbers,
            score_thr=score_thr,
            cols=1,
            reader_cfg=self.reader_cfg)

    def add_tab(self, gr, thr, lock: threading.Lock) -> None:
        """Add the tab to the page being built.

        Args:
            gr (module): ``gradio``, inside the page's ``Blocks``.
            thr (gradio.Slider): The page's score threshold.
            lock (threading.Lock): Held while drawing (matplotlib).
        """

        def update(score_thr: float, digits: str):
            rows, ids, summary = self.table(score_thr, digits)
            with lock:
                first = self.picture(ids[0], score_thr) if ids else None
            return summary, rows, first

        def select(score_thr: float, evt: gr.SelectData):
            # the row clicked as the page shows it (sorted by a column or
            # not)
            with lock:
                return self.picture(int(evt.row_value[0]), score_thr)

        summary, rows, first = update(thr.value, 'all')
        counts = sorted({len(n) for n in self.gt_numbers.values()})
        with gr.Tab(f'Browse {osp.basename(self.ann_file)}'):
            summary_md = gr.Markdown(summary, elem_id='browse-summary')
            digits = gr.Dropdown(
                ['all'] + [str(c) for c in counts],
                value='all',
                label='digits in the ground truth',
                elem_id='browse-digits')
            with gr.Row():
                table = gr.Dataframe(
                    rows,
                    headers=['id', 'file', 'ground truth', 'read', 'right'],
                    datatype=['number', 'str', 'str', 'str', 'str'],
                    interactive=False,
                    label='Wrong numbers first: click a row to see it',
                    scale=3,
                    elem_id='browse-table')
                picture = gr.Image(
                    first,
                    type='filepath',
                    interactive=False,
                    buttons=['download', 'fullscreen'],
                    label='As show_predictions.py draws it',
                    scale=2,
                    elem_id='browse-picture')
        outputs = [summary_md, table, picture]
        digits.change(update, [thr, digits], outputs)
        thr.change(update, [thr, digits], outputs)
        table.select(select, [thr], picture)
