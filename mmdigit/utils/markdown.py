"""The package's one Markdown table writer (reports, summaries, docs)."""
from typing import Sequence


def markdown_table(headers: Sequence[str],
                   rows: Sequence[Sequence[str]]) -> str:
    """Lay formatted cells, row by row, out as a Markdown table (no trailing
    newline)."""
    lines = ['| ' + ' | '.join(headers) + ' |', '|' + '---|' * len(headers)]
    lines += ['| ' + ' | '.join(cells) + ' |' for cells in rows]
    return '\n'.join(lines)
