"""`python -m services.scheduler`."""

import asyncio

from services.scheduler.main import main

asyncio.run(main())
