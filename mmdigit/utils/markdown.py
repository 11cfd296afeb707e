"""The package's one Markdown table writer (reports, summaries, docs)."""
from typing import Sequence


def markdown_table(headers: Sequence[str],
                   rows: Sequence[Sequence[str]]) -> str:
    """Lay cells out as a markdown table (no trailing newline).

    Args:
        headers (Sequence[str]): Column headers.
        rows (Sequence[Sequence[str]]): Formatted cells, row by row.

    Returns:
        str: The table.
    """
    lines = ['| ' + ' | '.join(headers) + ' |', '|' + '---|' * len(headers)]
    lines += ['| ' + ' | '.join(cells) + ' |' for cells in rows]
    return '\n'.join(lines)
