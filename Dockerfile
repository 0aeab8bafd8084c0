# gradswarm in a container (examples/kubernetes/job.yaml runs it as `gradswarm launch`):
#   docker build -t gradswarm:latest .
FROM node:20-bookworm-slim AS build
# The C kernel addon builds with node-gyp; without these the WebAssembly kernels are used.
RUN apt-get update && apt-get install -y --no-install-recommends build-essential python3 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /gradswarm
COPY . .
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /gradswarm
COPY --from=build /gradswarm /gradswarm
# Rank 0's port (launch --port / MASTER_PORT; 7733 by default).
EXPOSE 7733
USER node
ENTRYPOINT ["node", "/gradswarm/packages/cli/bin/gradswarm.js"]
CMD ["--help"]
