# hfwarden container image. Multi-stage: dependencies are resolved from the project's pinned
# constraints in a build stage; the runtime stage carries only the virtual environment.
# Pinned by digest (the multi-architecture index of the 3.11.14 release): a rebuild gets the same bytes.
# Raise tag and digest together; `docker buildx imagetools inspect python:3.11-slim-bookworm` gives both.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/hfwarden
COPY pyproject.toml constraints.txt README.md ./
COPY hfwarden ./hfwarden
# The test suite (tests/test_container.py) runs this same install in a fresh virtual environment.
RUN /opt/hfwarden/bin/pip install --no-cache-dir -c constraints.txt ".[postgres]"

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="hfwarden" \
      org.opencontainers.image.description="Schedules, spend ledger and budget guards for Hugging Face Inference Endpoints" \
      org.opencontainers.image.licenses="Apache-2.0"
# Read-only root filesystem: state lives in the volume, huggingface_hub's cache in /tmp, no .pyc written.
# No Hub calls but hfwarden's own: huggingface_hub's telemetry (its /api/agent-harnesses fetch at every
# start) and the `hf` command's update checks are off (hfwarden also sets both itself, hub_env.py).
ENV PATH=/opt/hfwarden/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HOME=/tmp/huggingface \
    HF_HUB_DISABLE_TELEMETRY=1 \
    HF_HUB_DISABLE_UPDATE_CHECK=1 \
    HFWARDEN_CONFIG=/etc/hfwarden/schedules \
    HFWARDEN_STATE_DIR=/var/lib/hfwarden \
    HFWARDEN_LOG_FORMAT=json \
    HFWARDEN_HTTP_PORT=9090 \
    HFWARDEN_DRY_RUN=true
COPY --from=build /opt/hfwarden /opt/hfwarden
# The example schedules, so that `docker run` shows what hfwarden would do; safe because the image
# decides and logs but calls nothing that mutates until HFWARDEN_DRY_RUN=false is set (mount your
# schedules over /etc/hfwarden/schedules first).
COPY schedules /etc/hfwarden/schedules
RUN groupadd --system --gid 10001 hfwarden \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/hfwarden --shell /usr/sbin/nologin hfwarden \
    && mkdir -p /var/lib/hfwarden \
    && chown 10001:10001 /var/lib/hfwarden
USER 10001:10001
VOLUME ["/var/lib/hfwarden"]
EXPOSE 9090
# hfwarden runs as PID 1 and installs its own SIGTERM/SIGINT handlers (the kernel ignores signals
# without a handler for PID 1): SIGTERM finishes the pass in flight and exits 0. It starts no child
# processes, so there are no zombies to reap and no init is needed.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["hfwarden", "healthcheck"]
ENTRYPOINT ["hfwarden"]
CMD ["run"]
