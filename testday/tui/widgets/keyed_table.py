"""Provides KeyedTable: a DataTable of rows keyed by id, updated cell by cell, kept in order."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rich.text import Text
from textual import events
from textual.coordinate import Coordinate
from textual.widgets import DataTable

Columns = tuple[tuple[str, str, int], ...]  # key, label, width
Order = tuple[Any, ...]  # a row's place: rows sort by it, ascending unless REVERSE
Row = tuple[dict[str, str], Order, dict[str, str]]  # cells, order, column → component class
Anchor = tuple[str | None, int]  # the row under the cursor, and its line on screen
# The width the dashboard is designed for; a narrower table (an 80-column terminal) shows its
# NARROW columns instead, so no column ends up cut off the right edge.
WIDE_FROM = 100


def narrowed(columns: Columns, **widths: int | tuple[int, str]) -> Columns:
    """The columns named in ``widths``, in their order, at those widths: a number, or a number
    and a shorter label."""
    narrow = []
    for key, label, _ in columns:
        width = widths.get(key)
        if isinstance(width, tuple):
            width, label = width
        if width is not None:
            narrow.append((key, label, width))
    return tuple(narrow)


class SortedCell(Text):
    """A first-column cell carrying its row's order, so DataTable.sort can use it."""

    def __init__(self, text: str, key: Order, style: str | Any = "") -> None:
        super().__init__(text, style=style, no_wrap=True, overflow="ellipsis", end="")
        self.sort_key = key


class KeyedTable(DataTable[Text]):
    """Subclasses name the columns; ``put`` adds a row or redraws its changed cells only.

    The cursor stays on its row when rows re-sort, and that row stays on the same line of the
    screen: a technician reading a row must not see it jump away. Rows keep every column's text,
    so a resize across WIDE_FROM re-lays the table out without asking for the data again.
    """

    COLUMNS: Columns = ()
    NARROW: Columns = ()  # the columns below WIDE_FROM, COLUMNS' first first; () keeps COLUMNS
    REVERSE = False  # newest first: sort keys descending

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self._shown: dict[str, dict[str, str]] = {}  # row id → every column's text, shown or not
        self._styles: dict[str, dict[str, str]] = {}  # row id → column → component class
        self._order: dict[str, Order] = {}  # row id → sort key as displayed
        self._sorted = True
        self._layout: Columns = ()  # the columns shown
        self._columns: tuple[str, ...] = ()  # their keys

    def on_mount(self) -> None:
        # Not laid out yet: the terminal's width, so a table of thousands is not laid out twice.
        self._fit(self.size.width or self.app.size.width)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width)  # a Resize may come before or after Mount

    def _fit(self, width: int) -> None:
        columns = self.NARROW if self.NARROW and width < WIDE_FROM else self.COLUMNS
        if columns != self._layout:
            self._lay_out(columns)

    def _lay_out(self, columns: Columns) -> None:
        """Show ``columns``: every row is added again from its texts, in its order (a resize
        across WIDE_FROM is rare; a tick never gets here)."""
        anchor = self.cursor_anchor()
        with self.app.batch_update():
            self.clear(columns=True)
            self._layout, self._columns = columns, tuple(key for key, _, _ in columns)
            for key, label, width in columns:
                self.add_column(label, key=key, width=width)
            for row_id in sorted(self._shown, key=self._order.__getitem__, reverse=self.REVERSE):
                row = self._row_cells(
                    self._shown[row_id], self._order[row_id], self._styles[row_id]
                )
                self.add_row(*row, key=row_id)
            self._sorted = True
            self.restore_cursor(anchor, moved=True)

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
        order: Order,
        styles: dict[str, str] | None = None,
    ) -> None:
        """Add the row, or update the cells whose text or style changed."""
        styles = styles or {}
        old = self._shown.get(row_id)
        if old is None:
            self.add_row(*self._row_cells(cells, order, styles), key=row_id)
            self._sorted = False
        else:
            moved = order != self._order[row_id]
            old_styles = self._styles[row_id]
            for index, column in enumerate(self._columns):
                text, style = cells[column], styles.get(column)
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
        if column not in self._columns:
            return  # not on screen at this width: a wider table shows the new text
        order = self._order[row_id] if column == self._columns[0] else None
        self.update_cell(row_id, column, self._cell(text, self._styles[row_id].get(column), order))

    def drop(self, row_id: str) -> None:
        if row_id in self._shown:
            self.remove_row(row_id)
            del self._shown[row_id], self._styles[row_id], self._order[row_id]

    def drop_all(self) -> None:
        self.clear()
        self._shown.clear()
        self._styles.clear()
        self._order.clear()
        self._sorted = True

    def sort_rows(self) -> bool:
        """Re-sort if a row was added or moved since the last sort; True when it did."""
        if self._sorted:
            return False
        self.sort(self._columns[0], key=lambda cell: cell.sort_key, reverse=self.REVERSE)
        self._sorted = True
        return True

    def sync_rows(self, ids: Iterable[str], row: Callable[[str], Row | None]) -> None:
        """Apply ``row`` (None: the row is gone) to each id, then settle the order."""
        anchor = self.cursor_anchor()
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
        self.sort_rows()
        self.restore_cursor(anchor)

    def cursor_anchor(self) -> Anchor:
        """The row under the cursor and its line on screen, to restore after a change."""
        return self.cursor_id, self.cursor_row - int(self.scroll_y)

    def restore_cursor(self, anchor: Anchor, moved: bool = False) -> None:
        """Put the cursor back on the anchor's row, on the same line of the screen."""
        row_id, line = anchor
        if row_id is None or row_id not in self._shown:
            return
        row = self.get_row_index(row_id)
        if row == self.cursor_row and not moved:
            return
        self.move_cursor(row=row, scroll=False)
        # After the new rows are measured, scroll so the row sits where the reader left it.
        self.call_after_refresh(self.scroll_to, y=max(0, row - line), animate=False)

    def _row_cells(self, cells: dict[str, str], order: Order, styles: dict[str, str]) -> list[Text]:
        """The cells of the columns shown, the first carrying the row's order."""
        return [
            self._cell(cells[key], styles.get(key), order if index == 0 else None)
            for index, key in enumerate(self._columns)
        ]

    def _cell(self, text: str, style: str | None, order: Order | None) -> Text:
        """The first column's cell carries the row's order; ``style`` names a component class."""
        rich_style = self.get_component_rich_style(style, partial=True) if style else ""
        if order is not None:
            return SortedCell(text, order, rich_style)
        return Text(text, style=rich_style, no_wrap=True, overflow="ellipsis", end="")
