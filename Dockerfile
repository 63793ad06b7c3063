# One image for all four services; the command picks the service (see docker-compose.yml).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.lock
COPY pyproject.toml /src/
COPY shared /src/shared
COPY services /src/services
COPY reportflow_cli /src/reportflow_cli
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps /src

FROM python:3.11-slim
RUN useradd --system --uid 10001 --create-home --home-dir /app reportflow \
    && mkdir -p /app/outputs \
    && chown reportflow /app/outputs
COPY --from=build /opt/venv /opt/venv
COPY deploy /app/deploy
WORKDIR /app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    OUTPUT_DIR=/app/outputs
USER 10001
EXPOSE 8000 9100
CMD ["python", "-m", "services.api"]
