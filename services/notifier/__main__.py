"""`python -m services.notifier`."""

import asyncio

from services.notifier.main import main

asyncio.run(main())
