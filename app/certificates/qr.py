"""The certificate's QR code as an SVG with as few strokes as the symbol allows.

segno encodes the verification URL; this module only draws segno's module matrix. segno's own SVG
draws every horizontal run of dark modules as a stroke (about 280 on a version-4 symbol), and
WeasyPrint parses and draws an SVG path one command at a time: that was a fifth of each
certificate's render. Here each dark module is covered by a horizontal or a vertical run, choosing
the fewest runs (about 210): a dark module is an edge between its horizontal and its vertical run,
so the fewest runs that cover every module are a minimum vertex cover of that bipartite graph,
which König's theorem gives from a maximum matching.
"""
from __future__ import annotations

import base64
from collections.abc import Sequence

import segno

Run = tuple[int, int, int]  # (x, y, length) of a run of dark modules


def symbol(url: str) -> segno.QRCode:
    """Error correction M leaves room for a worn print-out. Mask pattern 0 is fixed rather than
    chosen by scoring all eight: readers decode any mask, and scoring took about 5 ms a certificate."""
    return segno.make(url, error="m", micro=False, mask=0)


def _runs(matrix: Sequence[Sequence[int]], horizontal: bool) -> tuple[list[Run], list[int]]:
    """The maximal runs of dark modules along rows (or columns), and for each module (index
    y * size + x) the run that holds it (-1 for a light module)."""
    size = len(matrix)
    runs: list[Run] = []
    run_of = [-1] * (size * size)
    for line in range(size):
        cells = matrix[line] if horizontal else [row[line] for row in matrix]
        step, origin = (1, line * size) if horizontal else (size, line)
        start = -1
        for position, dark in enumerate((*cells, 0)):
            if dark and start < 0:
                start = position
            elif not dark and start >= 0:
                for along in range(start, position):
                    run_of[origin + along * step] = len(runs)
                runs.append((start, line, position - start) if horizontal else (line, start, position - start))
                start = -1
    return runs, run_of


def _maximum_matching(edges: list[list[int]], right_count: int) -> list[int]:
    """For each right vertex, its matched left vertex or -1 (Kuhn's augmenting paths, without recursion)."""
    match_right, match_left = [-1] * right_count, [-1] * len(edges)
    for root in range(len(edges)):
        seen = [False] * right_count
        came_from: dict[int, int] = {}  # right vertex -> the left vertex that reached it
        untried = {root: iter(edges[root])}
        stack, free = [root], -1
        while stack and free < 0:
            left = stack[-1]
            for right in untried[left]:
                if seen[right]:
                    continue
                seen[right], came_from[right] = True, left
                if match_right[right] == -1:
                    free = right
                else:
                    untried[match_right[right]] = iter(edges[match_right[right]])
                    stack.append(match_right[right])
                break
            else:
                stack.pop()
        right = free
        while right >= 0:  # flip the path: each left vertex on it takes the right vertex that reached it
            left = came_from[right]
            previous = match_left[left]
            match_right[right], match_left[left] = left, right
            right = previous
    return match_right


def covering_runs(matrix: Sequence[Sequence[int]]) -> list[tuple[Run, bool]]:
    """The fewest horizontal and vertical runs that cover every dark module, each with True when horizontal."""
    rows, row_of = _runs(matrix, horizontal=True)
    columns, column_of = _runs(matrix, horizontal=False)
    edges: list[list[int]] = [[] for _ in rows]
    for row, column in zip(row_of, column_of):
        if row >= 0:
            edges[row].append(column)
    match_column = _maximum_matching(edges, len(columns))
    matched_rows = {row for row in match_column if row != -1}
    # König: from the unmatched rows, follow unmatched edges to columns and matched edges back.
    reached_rows, reached_columns = set(), set()
    frontier = [row for row in range(len(rows)) if row not in matched_rows]
    while frontier:
        row = frontier.pop()
        if row in reached_rows:
            continue
        reached_rows.add(row)
        for column in edges[row]:
            if column not in reached_columns:
                reached_columns.add(column)
                if match_column[column] != -1:
                    frontier.append(match_column[column])
    chosen = [(rows[row], True) for row in range(len(rows)) if row not in reached_rows]
    return chosen + [(columns[column], False) for column in sorted(reached_columns)]


def svg(url: str, border: int = 2, dark: str = "#111") -> str:
    """The QR code for ``url`` as a standalone SVG document (1 unit a module, ``border`` modules of quiet zone)."""
    matrix = symbol(url).matrix
    size = len(matrix)
    strokes = "".join(f"M{x} {y}.5h{length}" if horizontal else f"M{x}.5 {y}v{length}"
                      for (x, y, length), horizontal in covering_runs(matrix))
    extent = size + 2 * border
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-{border} -{border} {extent} {extent}">'
            f'<path fill="none" stroke="{dark}" d="{strokes}"/></svg>')


def svg_data_url(url: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg(url).encode()).decode()
