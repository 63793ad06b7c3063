"""Whether this runner takes a run request or hands it back to the queue (pure)."""

NO_FREE_SLOT = "no free slot"
SHUTTING_DOWN = "shutting down"


def hand_back_reason(got_slot: bool, stopping: bool) -> str | None:
    """Why the request goes back to the queue (published again), or None to take it.

    A request that waited `slot_wait_seconds` without a slot goes back rather than hold its
    delivery towards RabbitMQ's consumer timeout; one that got a slot while the runner drains
    goes back too, for a runner that is staying.
    """
    if not got_slot:
        return NO_FREE_SLOT
    if stopping:
        return SHUTTING_DOWN
    return None
