"""One exponential backoff for every retry loop of the project: consumer, relay, effects, harness."""

import random


def backoff_seconds(attempt: int, *, base: float = 0.1, cap: float = 5.0, jitter: float = 0.1) -> float:
    """Return how long to wait before retry number `attempt` (1, 2, ...): base·2^(n-1), capped.

    A little jitter (±`jitter` of the delay) keeps replicas that failed together from
    retrying together.
    """
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return max(0.0, delay * (1 + random.uniform(-jitter, jitter)))  # jitter only, guards nothing # nosec B311
