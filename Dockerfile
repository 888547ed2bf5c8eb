# mzbrain service image. It runs in production mode and refuses to start without its secrets
# (README, "Deploying securely"):
#   buildah bud -t mzbrain .            (or: docker build -t mzbrain .)
#   podman run -p 8000:8000 -v mzbrain-var:/srv/mzbrain/var --env-file mzbrain.env mzbrain
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
RUN python3 -m venv /opt/mzbrain \
 && /opt/mzbrain/bin/pip install --no-compile . \
 && /opt/mzbrain/bin/python -m compileall -q /opt/mzbrain/lib

FROM ${BASE_IMAGE}
ENV PATH=/opt/mzbrain/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MZ_ENV=production \
    MZ_HOST=0.0.0.0 \
    MZ_PORT=8000
RUN useradd --system --uid 10001 --user-group --home-dir /srv/mzbrain --create-home --shell /usr/sbin/nologin mzbrain \
 && mkdir -p /srv/mzbrain/var \
 && chown -R 10001:10001 /srv/mzbrain
COPY --from=build /opt/mzbrain /opt/mzbrain
WORKDIR /srv/mzbrain
USER 10001:10001
VOLUME ["/srv/mzbrain/var"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["python3", "-m", "app", "serve", "--host", "0.0.0.0"]
