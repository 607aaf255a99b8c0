# Minimal until the container issue: installs the pinned project and runs the daemon.
FROM python:3.11.7-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY hfwarden ./hfwarden
RUN pip install --no-cache-dir -c constraints.txt .
USER 10001
ENTRYPOINT ["hfwarden"]
CMD ["sandbox"]
