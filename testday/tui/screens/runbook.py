"""Provides RunbookScreen: the runbook for a device's reason, in Textual's MarkdownViewer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import MarkdownViewer

from testday.config.runbooks import RunbookError, default_runbooks_dir, load_runbook
from testday.console_protocol.device_views import DeviceView
from testday.core.reasons import REASONS
from testday.tui.formatting import reason_title
from testday.tui.screens.live import LiveScreen
from testday.tui.widgets.field import Field

NO_PROBLEM = "no runbook: this device has no problem"
PICK_KEYS = 9  # 1–9 open reason N's runbook: any of a device's reasons is two keys from its row


@dataclass(frozen=True)
class RunbookChoice:
    """One runbook a device needs, and the reasons (worst first) that lead to it."""

    runbook: str
    codes: tuple[str, ...]
    label: str  # the first reason's title, as the device's row says it


def runbook_choices(device: DeviceView) -> list[RunbookChoice]:
    """The device's reasons in their order (worst first), one entry per distinct runbook."""
    order: list[str] = []
    codes: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for r in device.reasons:
        code = r.code
        spec = REASONS.get(code)
        runbook = r.runbook or (spec.runbook if spec else "")
        if not runbook:
            continue
        if runbook not in codes:
            order.append(runbook)
            codes[runbook], labels[runbook] = [], reason_title(r)
        codes[runbook].append(code)
    return [RunbookChoice(rb, tuple(codes[rb]), labels[rb]) for rb in order]


def open_device_runbook(
    app: App[object], device: DeviceView | None, directory: Path | None = None
) -> None:
    """Open the runbook of the device's first reason; say so when there is nothing to fix."""
    if device is None:
        return
    choices = runbook_choices(device)
    if not choices:
        app.notify(NO_PROBLEM, title="Runbook")
        return
    app.push_screen(RunbookScreen(device.name, choices, 0, directory))


class RunbookScreen(LiveScreen):
    """One runbook; with several reasons, `b` steps to the next one's and 1–9 pick one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("b", "next_reason", "Next reason"),
        *(
            Binding(str(n), f"pick({n - 1})", f"Reason {n}", show=False)
            for n in range(1, PICK_KEYS + 1)
        ),
    ]

    def __init__(
        self,
        device_name: str,
        choices: list[RunbookChoice],
        index: int = 0,
        directory: Path | None = None,
    ) -> None:
        super().__init__()
        self.device_name = device_name
        self.choices = choices
        self.index = index
        self.directory = default_runbooks_dir(directory)
        self.choice = choices[index]

    def compose_body(self) -> ComposeResult:
        title, meta, body = self._document()
        yield Field(title, id="runbook-title", classes="title")
        yield Field(meta, id="runbook-meta")
        yield Field(self._reasons_line(), id="runbook-reasons")
        yield MarkdownViewer(body, show_table_of_contents=False, id="runbook-body")

    def _document(self) -> tuple[str, str, str]:
        """(title, front matter line, Markdown body); a runbook that fails to load says why."""
        rid = self.choice.runbook
        try:
            book = load_runbook(self.directory, rid)
        except KeyError:
            body = f"No runbook file `{rid}.md` in `{self.directory}`."
            return self.choice.label, f"runbook {rid} · missing", body
        except RunbookError as exc:
            return self.choice.label, f"runbook {rid} · does not load", f"```\n{exc}\n```"
        meta = [
            f"runbook {book.id}",
            f"reasons {', '.join(book.reasons) or '—'}",
            f"platforms {', '.join(book.platforms)}",
        ]
        if book.actions:
            systems = ", ".join(dict.fromkeys(a.os for a in book.actions))
            meta.append(f"{len(book.actions)} remote actions ({systems})")
        return book.title, " · ".join(meta), book.body

    def _reasons_line(self) -> str:
        count = len(self.choices)
        if count == 1:
            return f"{self.device_name} · {', '.join(self.choice.codes)}"
        picks = "  ".join(
            f"{i + 1}{'▸' if i == self.index else ' '}{c.label}"
            for i, c in enumerate(self.choices[:PICK_KEYS])
        )
        keys = f"1–{min(count, PICK_KEYS)} or b"
        return f"{self.device_name} · reason {self.index + 1} of {count}: {picks} · {keys}"

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(MarkdownViewer).document.focus()  # arrows and page keys scroll the text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_reason":
            return len(self.choices) > 1
        return True

    def action_next_reason(self) -> None:
        self._open((self.index + 1) % len(self.choices))

    def action_pick(self, index: int) -> None:
        if index < len(self.choices) and index != self.index:
            self._open(index)

    def _open(self, index: int) -> None:
        # Replace, not push: Escape still takes one press back to the device, however many steps.
        screen = RunbookScreen(self.device_name, self.choices, index, self.directory)
        self.app.switch_screen(screen)
