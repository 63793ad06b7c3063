"""Which export failures are worth another attempt, and how long the next one waits (pure)."""

# SQLSTATE classes and codes of failures that a later attempt may not meet: the connection,
# the server's load or a conflict with another transaction, never the query or a limit.
TRANSIENT_CLASSES = frozenset({"08"})  # connection exception
TRANSIENT_CODES = frozenset(
    {
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "55P03",  # lock_not_available (lock_timeout)
        "53300",  # too_many_connections
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now (starting up, in recovery)
    }
)


def is_transient_sqlstate(sqlstate: str | None) -> bool:
    if not sqlstate:
        return False
    return sqlstate in TRANSIENT_CODES or sqlstate[:2] in TRANSIENT_CLASSES


def should_retry(transient: bool, retries_done: int, max_retries: int) -> bool:
    return transient and retries_done < max_retries


def retry_delay_seconds(base_seconds: float, retries_done: int) -> float:
    """The first retry waits `base_seconds`, each later one twice the one before."""
    return base_seconds * 2.0**retries_done
