"""Provides KeyedTable: a DataTable of rows keyed by id, updated cell by cell, kept in order."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable

Columns = tuple[tuple[str, str, int], ...]  # key, label, width


class SortedCell(Text):
    """A first-column cell carrying its row's order, so DataTable.sort can use it."""

    def __init__(self, text: str, key: Hashable, style: str | Any = "") -> None:
        super().__init__(text, style=style, no_wrap=True, end="")
        self.sort_key = key


class KeyedTable(DataTable[Text]):
    """Subclasses name the columns; ``put`` adds a row or redraws its changed cells only.

    The cursor stays on its row when rows re-sort, so a row being read never jumps away.
    """

    COLUMNS: Columns = ()
    REVERSE = False  # newest first: sort keys descending

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self._shown: dict[str, dict[str, str]] = {}  # row id → cell texts as displayed
        self._styles: dict[str, dict[str, str]] = {}  # row id → column → component class
        self._order: dict[str, Hashable] = {}  # row id → sort key as displayed
        self._sorted = True

    def on_mount(self) -> None:
        for key, label, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)

    @property
    def cursor_id(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value

    @property
    def shown_ids(self) -> set[str]:
        return set(self._shown)

    def put(
        self,
        row_id: str,
        cells: dict[str, str],
        order: Hashable,
        styles: dict[str, str] | None = None,
    ) -> None:
        """Add the row, or update the cells whose text or style changed."""
        styles = styles or {}
        old = self._shown.get(row_id)
        if old is None:
            row = [
                self._cell(text, styles.get(column), order if index == 0 else None)
                for index, (column, text) in enumerate(cells.items())
            ]
            self.add_row(*row, key=row_id)
            self._sorted = False
        else:
            moved = order != self._order[row_id]
            old_styles = self._styles[row_id]
            for index, (column, text) in enumerate(cells.items()):
                style = styles.get(column)
                if (
                    text == old[column]
                    and style == old_styles.get(column)
                    and not (moved and index == 0)
                ):
                    continue
                value = self._cell(text, style, order if index == 0 else None)
                self.update_cell(row_id, column, value)
            self._sorted &= not moved
        self._shown[row_id], self._styles[row_id], self._order[row_id] = cells, styles, order

    def set_cell(self, row_id: str, column: str, text: str) -> None:
        """Redraw one shown cell if its text changed (an age ticking), keeping its style."""
        shown = self._shown.get(row_id)
        if shown is None or shown[column] == text:
            return
        self._shown[row_id] = {**shown, column: text}
        first = column == self.COLUMNS[0][0]
        order = self._order[row_id] if first else None
        self.update_cell(row_id, column, self._cell(text, self._styles[row_id].get(column), order))

    def drop(self, row_id: str) -> None:
        if row_id in self._shown:
            self.remove_row(row_id)
            del self._shown[row_id], self._styles[row_id], self._order[row_id]

    def settle(self) -> None:
        """Re-sort if a row was added or moved, keeping the cursor on its row."""
        if self._sorted:
            return
        anchor = self.cursor_id
        self.sort(self.COLUMNS[0][0], key=lambda cell: cell.sort_key, reverse=self.REVERSE)
        self._sorted = True
        if anchor is not None and anchor in self._shown:
            self.move_cursor(row=self.get_row_index(anchor))

    def _cell(self, text: str, style: str | None, order: Hashable | None) -> Text:
        """The first column's cell carries the row's order; ``style`` names a component class."""
        rich_style = self.get_component_rich_style(style, partial=True) if style else ""
        if order is not None:
            return SortedCell(text, order, rich_style)
        return Text(text, style=rich_style, no_wrap=True, end="")

    def sync_rows(
        self,
        ids: set[str] | frozenset[str],
        row: Callable[[str], tuple[dict[str, str], Hashable, dict[str, str]] | None],
    ) -> None:
        """Apply ``row`` (None: the row is gone) to each id, then settle the order."""
        found = {row_id: row(row_id) for row_id in ids}
        for row_id in [i for i, f in found.items() if f is None]:
            self.drop(row_id)
        # Added in display order, so a first fill leaves the cursor on the top row.
        present = sorted(
            ((i, f) for i, f in found.items() if f is not None),
            key=lambda item: item[1][1],
            reverse=self.REVERSE,
        )
        for row_id, (cells, order, styles) in present:
            self.put(row_id, cells, order, styles)
        self.settle()
