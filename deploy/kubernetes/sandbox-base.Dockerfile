# A base template for the kubernetes backend (--kube-image): what a local `base` sandbox has that the
# agent and the SDK's defaults rely on: python3 (3.11 or newer), bash, a `user` account (uid 1000) with
# its home, and the usual tools.
#   docker build -f deploy/kubernetes/sandbox-base.Dockerfile -t REGISTRY/hutch-sandbox-base:TAG .
FROM debian:bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-pip bash ca-certificates curl git sudo procps \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 --shell /bin/bash user
