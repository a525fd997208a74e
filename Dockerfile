# lossboard (with its Ray extra) on the official PyTorch CUDA runtime image: its torch is the one
# that runs here, and every Ray node built from this image runs the same lossboard and torch.
# Build: docker build -t lossboard .
# Run:   docker run --gpus all -p 8000:8000 -e LOSSBOARD_TOKEN=... lossboard
FROM pytorch/pytorch:2.7.1-cuda12.8-cudnn9-runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /src
COPY pyproject.toml README.md ./
COPY server ./server
COPY templates ./templates
COPY static ./static

# Install the wheel (its pages and static files inside it) with the Ray extra, pinning torch to
# the image's own build so pip never swaps in another (multi-GB) one; the source tree is not kept.
RUN python -c "from importlib.metadata import version; print('torch==' + version('torch'))" \
        > /tmp/constraints.txt \
    && pip install --no-cache-dir --constraint /tmp/constraints.txt '.[ray]' \
    && rm -rf /tmp/constraints.txt /src

WORKDIR /data

RUN groupadd --gid 10001 lossboard \
    && useradd --no-log-init --create-home --uid 10001 --gid 10001 lossboard \
    && mkdir /data \
    && chown 10001:10001 /data
USER 10001:10001

VOLUME /data
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('LOSSBOARD_PORT', '8000') + '/healthz', timeout=4)"]

# One uvicorn worker (lossboard serve always uses one): the run registry lives in this process.
# Binding 0.0.0.0 needs LOSSBOARD_TOKEN; without it the server refuses to start (--insecure
# would skip that check: anyone who can reach the port could then run jobs on this machine).
CMD ["lossboard", "serve", "--host", "0.0.0.0", "--data-dir", "/data"]
