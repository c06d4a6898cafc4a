"""Stop a long-running command gracefully on SIGTERM and SIGINT."""

import contextlib
import signal


@contextlib.contextmanager
def stop_on_signals(stop):
    """Call `stop()` on SIGTERM/SIGINT while inside; a second signal acts as by default.

    The previous handlers come back afterwards (the command may run inside another
    program, e.g. `call_command` in a test). Outside the main thread, nothing is installed.
    """

    def handler(signum, _frame):
        signal.signal(signum, signal.SIG_DFL)
        stop()

    try:
        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread
        previous = {}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
