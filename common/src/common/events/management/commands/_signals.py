"""Stop a long-running command gracefully on SIGTERM and SIGINT."""

import signal


def stop_on_signals(stop) -> None:
    """Call `stop()` on SIGTERM/SIGINT; a second signal falls back to the default action."""

    def handler(signum, _frame):
        signal.signal(signum, signal.SIG_DFL)
        stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
