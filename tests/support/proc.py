"""Starting server processes in tests as a terminal would."""

from __future__ import annotations

import signal


def like_a_terminal() -> None:
    """``preexec_fn`` for a server the test stops with Ctrl+C (SIGINT).

    A test run started in the background (``make test &``, ``nohup``, a CI runner without job
    control) has SIGINT ignored, and an ignored signal stays ignored in every process it
    starts: such a server would never see the Ctrl+C the test sends. A server started from a
    terminal has the default, which this restores.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
