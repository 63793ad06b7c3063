"""Notifier settings: the shared blocks plus links, attachment size, retries and claim timeout."""

from typing import Self

from pydantic import Field, model_validator

from shared.settings import (
    ChannelSettings,
    DownloadLinkSettings,
    OutputSettings,
    RecipientSettings,
    RunTimeoutSettings,
    SmtpSettings,
    WorkerSettings,
)


class NotifierSettings(
    WorkerSettings,
    SmtpSettings,
    OutputSettings,
    RecipientSettings,
    ChannelSettings,
    DownloadLinkSettings,
    RunTimeoutSettings,
):
    # Download links in the mails point here, signed (shared/download_links.py):
    # `<PUBLIC_BASE_URL>/api/runs/<id>/signed-download?expires=…&signature=…`.
    public_base_url: str = "http://localhost:8000"
    # Larger output files are not attached; the mail carries the download link only.
    mail_max_attachment_bytes: int = Field(default=10 * 1024 * 1024, ge=0)
    # Attempts per recipient before the notification is FAILED; transient failures wait
    # base · 2^(attempt-1) seconds, at most max, between attempts.
    notifier_max_attempts: int = Field(default=5, ge=1)
    notifier_retry_base_seconds: float = Field(default=30.0, gt=0)
    notifier_retry_max_seconds: float = Field(default=3600.0, gt=0)
    notifier_concurrency: int = Field(default=4, ge=1)
    # A row claimed for longer than this belongs to a notifier that died mid-send: it is FAILED
    # as "outcome unknown" rather than sent again (at most once per recipient).
    notifier_claim_timeout_seconds: float = Field(default=600.0, gt=0)
    # A deferred notification this overdue (its retry message was lost) is published again.
    notifier_overdue_seconds: float = Field(default=120.0, gt=0)
    notifier_sweep_interval_seconds: float = Field(default=30.0, gt=0)
    # A run finished this long ago without a LOG row lost its run.completed (dead-lettered after
    # a database outage, say): the sweeper handles it as if the event had arrived. Runs that
    # finished before the lookback are left alone.
    notifier_missed_after_seconds: float = Field(default=300.0, gt=0)
    notifier_missed_lookback_hours: float = Field(default=24.0, gt=0)
    # The watchdog (docs/alerts.md): how often it checks, and how long each problem may last
    # before it is an alert. A scheduled slot with no run this long after it was due; a RUNNING
    # run this long past its statement timeout (STATEMENT_TIMEOUT_SECONDS or the report's own);
    # a scheduler heartbeat this old (the leader writes one every 5 s).
    alert_check_interval_seconds: float = Field(default=30.0, gt=0)
    alert_missed_slot_grace_seconds: float = Field(default=600.0, gt=0)
    alert_run_overdue_margin_seconds: float = Field(default=300.0, ge=0)
    alert_scheduler_down_grace_seconds: float = Field(default=120.0, ge=15)
    # Failing runs and deliveries are judged by their latest outcome within this window.
    alert_lookback_hours: float = Field(default=24.0, gt=0)
    # Where Slack's Web API is (the operator's setting, never a report's).
    slack_api_base_url: str = "https://slack.com/api/"

    @model_validator(mode="after")
    def _claim_outlives_a_send(self) -> Self:
        # One send is a connect plus a handful of SMTP commands, each bounded by the timeout.
        if self.notifier_claim_timeout_seconds < 6 * self.smtp_timeout_seconds:
            raise ValueError(
                "NOTIFIER_CLAIM_TIMEOUT_SECONDS must be at least 6 × SMTP_TIMEOUT_SECONDS, "
                "or a slow send would be taken for a dead notifier"
            )
        return self

    @model_validator(mode="after")
    def _missed_window_is_open(self) -> Self:
        if self.notifier_missed_after_seconds >= self.notifier_missed_lookback_hours * 3600:
            raise ValueError(
                "NOTIFIER_MISSED_AFTER_SECONDS must be shorter than "
                "NOTIFIER_MISSED_LOOKBACK_HOURS, or no missed run would ever be recovered"
            )
        return self
