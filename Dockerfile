# syntax=docker/dockerfile:1

# --- build: install rostersync and its dependencies into a virtualenv -------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# No [embedded] extra: production uses DATABASE_URL (and refuses to start without it).
RUN pip install .

# --- runtime: the virtualenv, the migrations, a non-root user ----------------------------
FROM python:3.11-slim AS runtime
RUN groupadd --system --gid 10001 rostersync \
    && useradd --system --uid 10001 --gid rostersync --home-dir /app --shell /usr/sbin/nologin rostersync
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY migrations ./migrations
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ENVIRONMENT=production
USER rostersync
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=4).status == 200 else 1)"]
# `serve` migrates first (replicas take an advisory lock), then serves.
CMD ["rostersync", "serve", "--host", "0.0.0.0", "--port", "8000"]
