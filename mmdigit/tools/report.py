"""One report writer for the harnesses: a markdown table, csv/json, a chart.

:func:`write_table_report` writes ``<name>.md`` (paragraphs around a
markdown table), optionally ``<name>.csv`` and ``<name>.json``, and
``<name>.png`` (one horizontal bar chart panel per plotted column, a bar
per table row) in one atomic step: a reader sees all the old files or all
the new ones. The harness formats the cells; this module lays them out.
The table is laid out by :func:`mmdigit.utils.markdown_table`, the
package's one Markdown table writer.
"""
import csv
import io
import json
import os.path as osp
from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Tuple

from ..utils.fileio import atomic_write_files
from ..utils.markdown import markdown_table


@dataclass(frozen=True)
class BarPanel:
    """One panel of a report's bar chart: one bar per table row.

    Args:
        title (str): Panel title.
        values (Sequence[float]): Bar lengths, one per row.
        errors (Sequence[tuple[float, float]], optional): Whiskers
            ``(below, above)`` the value, one per row.
        labels (Sequence[str], optional): Text after each bar, one per row.
    """

    title: str
    values: Sequence[float]
    errors: Optional[Sequence[Tuple[float, float]]] = None
    labels: Optional[Sequence[str]] = None


def bar_chart_png(names: Sequence[str], panels: Sequence[BarPanel],
                  title: str) -> bytes:
    """Draw panels of horizontal bars side by side, as PNG bytes.

    Each panel is 360 px wide; rows run top to bottom, named on the left of
    the first panel.

    Args:
        names (Sequence[str]): Row names.
        panels (Sequence[BarPanel]): One panel per plotted column.
        title (str): Figure title.

    Returns:
        bytes: The PNG file.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(3.6 * len(panels), 1.4 + 0.4 * len(names)),
        squeeze=False)
    axes = axes[0]
    y = np.arange(len(names))
    for ax, panel in zip(axes, panels):
        xerr = None if panel.errors is None else np.array(panel.errors).T
        ax.barh(
            y,
            panel.values,
            xerr=xerr,
            color='tab:blue',
            ecolor='black',
            capsize=3)
        for yi, value, label in zip(y, panel.values, panel.labels or ()):
            ax.text(value, yi, f' {label}', va='center', fontsize=7)
        ax.set_title(panel.title, fontsize=9)
        ax.set_yticks(y)
        ax.set_yticklabels(
            names if ax is axes[0] else [''] * len(names), fontsize=7)
        ax.invert_yaxis()
        ax.margins(x=0.25)
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format='png', dpi=100)
    plt.close(fig)
    return buf.getvalue()


def write_table_report(work_dir: str,
                       name: str,
                       headers: Sequence[str],
                       rows: Sequence[Sequence[str]],
                       intro: Sequence[str] = (),
                       notes: Sequence[str] = (),
                       csv_rows: Optional[Sequence[Sequence[Any]]] = None,
                       json_data: Any = None,
                       panels: Sequence[BarPanel] = (),
                       title: str = '') -> Dict[str, str]:
    """Write ``<name>.md`` and, if given, ``.csv``, ``.json`` and ``.png``.

    ``<name>.md`` is the ``intro`` paragraphs, the table and the ``notes``
    paragraphs, separated by blank lines. All files are replaced together
    (:func:`atomic_write_files`).

    Args:
        work_dir (str): Output folder (created if missing).
        name (str): File stem.
        headers (Sequence[str]): Table column headers.
        rows (Sequence[Sequence[str]]): Formatted table cells, row by row;
            the first cell of a row names its bars in the chart.
        intro (Sequence[str]): Paragraphs before the table.
        notes (Sequence[str]): Paragraphs after the table.
        csv_rows (Sequence[Sequence], optional): Rows of ``<name>.csv``,
            its header row first (values written as :mod:`csv` does).
        json_data (optional): Content of ``<name>.json`` (``indent=1``).
        panels (Sequence[BarPanel]): Panels of ``<name>.png``; none: no
            chart.
        title (str): Title of the chart.

    Returns:
        dict[str, str]: Paths of the written files by extension.
    """
    path = {
        ext: osp.join(work_dir, f'{name}.{ext}')
        for ext in ('md', 'csv', 'json', 'png')
    }
    text = '\n\n'.join([*intro, markdown_table(headers, rows), *notes])
    files = {path['md']: (text + '\n').encode()}
    if csv_rows is not None:
        buf = io.StringIO(newline='')
        csv.writer(buf).writerows(csv_rows)
        files[path['csv']] = buf.getvalue().encode()
    if json_data is not None:
        files[path['json']] = json.dumps(json_data, indent=1).encode()
    if panels:
        files[path['png']] = bar_chart_png([cells[0] for cells in rows],
                                           panels, title)
    atomic_write_files(files)
    return {ext: p for ext, p in path.items() if p in files}
