"""Provides `python -m testday_agent`, the same as the testday-agent command."""

import sys

from testday_agent.cli import main

sys.exit(main())
