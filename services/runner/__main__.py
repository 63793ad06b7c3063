"""`python -m services.runner`."""

import asyncio

from services.runner.main import main

asyncio.run(main())
