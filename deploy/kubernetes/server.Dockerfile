# The image of deployment.yaml's hutch-server: the server with the kubernetes backend, and the agent in
# /opt/hutch, which the sandbox pods' init container copies (--kube-agent-image).
#   docker build -f deploy/kubernetes/server.Dockerfile -t REGISTRY/hutch-server:TAG .
FROM python:3.11-slim-bookworm
COPY . /src
RUN pip install --no-cache-dir '/src[server,kubernetes]' \
    && mkdir -p /opt/hutch \
    && cp -R /src/src/hutch_agent /opt/hutch/ \
    && rm -rf /src
USER 10001
ENTRYPOINT ["hutch"]
