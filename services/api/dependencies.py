"""FastAPI dependencies: the runtime built by the app's lifespan."""

from typing import Annotated

from fastapi import Depends, Request

from services.api.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
