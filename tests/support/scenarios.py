"""A fault scenario's own system: database, RabbitMQ namespace, output folder and services.

Every service's outbox relay publishes every unpublished row of its database into its own
namespace, so services of other tests sharing the session database would take a scenario's
events (and run its runs into their own output folders). A scenario therefore gets a freshly
migrated database of its own; its services are stopped before that database is dropped.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from pydantic import SecretStr

from services.api.settings import ApiSettings
from shared.messaging import delete_namespace
from shared.topology import NOTIFIER_QUEUE, NOTIFIER_RETRY_QUEUE, RUNNER_QUEUE, Topology
from tests.support.databases import migrated_database
from tests.support.environment import ADMIN_DSN, AMQP_URL
from tests.support.queues import declare_queues_of
from tests.support.sandbox import SandboxSource
from tests.support.services import ServiceProcess, stop_all


@dataclass
class Scenario:
    database_url: str
    namespace: str
    output_dir: Path
    db: asyncpg.Connection
    base_env: dict[str, str]
    log_dir: Path
    # The session's sandboxed data source (DATA_SOURCE_URL in base_env): report tables go there.
    source: SandboxSource
    processes: list[ServiceProcess] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            **self.base_env,
            "DATABASE_URL": self.database_url,
            "AMQP_NAMESPACE": self.namespace,
            "OUTPUT_DIR": str(self.output_dir),
        }

    def start(self, name: str, **extra_env: str) -> ServiceProcess:
        """`python -m services.<name>` on this scenario's system; stopped when it ends."""
        process = ServiceProcess(name, {**self.env, **extra_env}, self.log_dir)
        self.processes.append(process)
        process.start()
        return process

    def api_settings(self, base: ApiSettings, **updates: Any) -> ApiSettings:
        return base.model_copy(
            update={
                "database_url": SecretStr(self.database_url),
                "amqp_namespace": self.namespace,
                "output_dir": self.output_dir,
                **updates,
            }
        )


@asynccontextmanager
async def isolated_scenario(
    session_id: str,
    base_env: dict[str, str],
    directory: Path,
    source: SandboxSource,
    template: str | None = None,
) -> AsyncIterator[Scenario]:
    """`template`: a database at head to copy (the `migrated_template` fixture), else migrated."""
    suffix = uuid.uuid4().hex[:6]
    name = f"reportflow_test_{session_id}_{suffix}"
    async with migrated_database(ADMIN_DSN, name, template) as url:
        db = await asyncpg.connect(url)
        (directory / "outputs").mkdir()
        (directory / "logs").mkdir()
        scenario = Scenario(
            database_url=url,
            namespace=f"{base_env['AMQP_NAMESPACE']}-{suffix}",
            output_dir=directory / "outputs",
            db=db,
            base_env=base_env,
            log_dir=directory / "logs",
            source=source,
        )
        # As in a deployment where every consumer has started once: an event of a service the
        # scenario does not start (run.completed without a notifier) is routed, not returned
        # and kept in the outbox, which the invariant check would count as stuck.
        await declare_queues_of(
            AMQP_URL,
            Topology(scenario.namespace),
            RUNNER_QUEUE,
            NOTIFIER_QUEUE,
            NOTIFIER_RETRY_QUEUE,
        )
        try:
            yield scenario
        finally:
            await asyncio.to_thread(stop_all, scenario.processes)
            await db.close()
            # Now, not at the session's end: every quorum queue holds files open in RabbitMQ,
            # and a broker shared by several test sessions runs out of file descriptors.
            await delete_namespace(AMQP_URL, scenario.namespace)
