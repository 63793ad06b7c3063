"""The scheduler's time source: real UTC time, or (in tests) a faster clock from an epoch."""

from datetime import UTC, datetime


class Clock:
    """`speed` > 1 lets tests pass through many cron slots in a few real seconds; `shows` is
    the time the clock shows at `epoch` (another day, such as a DST change), else `epoch`."""

    def __init__(
        self, speed: float = 1.0, epoch: datetime | None = None, shows: datetime | None = None
    ) -> None:
        self._speed = speed
        self._epoch = epoch or datetime.now(UTC)
        self._shows = shows or self._epoch

    def now(self) -> datetime:
        real = datetime.now(UTC)
        if self._speed == 1.0 and self._shows == self._epoch:
            return real
        return self._shows + (real - self._epoch) * self._speed

    def seconds_until(self, moment: datetime) -> float:
        """Real seconds to wait until the clock shows `moment` (0 if it already has)."""
        return max(0.0, (moment - self.now()).total_seconds() / self._speed)
