"""Provides the README's screenshots: the demo's dashboard at 100×30, saved as SVG by Textual."""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
from pathlib import Path

from testday.console_client.owned_hub import OwnedHubClient
from testday.demo.demo_hub import DemoHub, DemoOptions
from testday.tui.app import TestdayApp

HERE = Path(__file__).resolve().parent


async def capture(out: Path, seconds: float, seed: int) -> list[Path]:
    saved = []
    with tempfile.TemporaryDirectory(prefix="testday-shot-") as tmp:
        demo = DemoHub(Path(tmp), DemoOptions(seed=seed))
        client = OwnedHubClient(demo.make_hub(), demo.start_fleet, demo.stop_fleet)
        app = TestdayApp(client)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause(seconds)
            for key, name in (
                ("r", "rooms"),
                ("d", "devices"),
                ("s", "sessions"),
                ("i", "incidents"),
            ):
                await pilot.press(key)
                await pilot.pause(1.0)
                path = out / f"dashboard-{name}.svg"
                app.save_screenshot(filename=path.name, path=str(out))
                saved.append(path)
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=HERE / "screenshots")
    parser.add_argument(
        "--seconds",
        type=float,
        default=100.0,
        help="how far into the scenario to take them (default 100: after the room outage)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(capture(args.out, args.seconds, args.seed)):
        print(path)


if __name__ == "__main__":
    main()
