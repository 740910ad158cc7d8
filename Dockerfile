# A weir worker image: your repository (topology/, schemas/, transforms/) on top of weir.
# Build from a project that depends on weir, or from this repository for the example:
#   docker build -t weir-worker .
#   docker run --env-file weir.env weir-worker run --step enrich --instance-id enrich-0
#
# Two stages: the first has the compilers (the Kafka client builds librdkafka when its prebuilt
# binary cannot be downloaded) and TypeScript; the image you run has neither — only Node, the shared
# libraries the client links against, the compiled JavaScript and the production dependencies.

FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential python3 zlib1g-dev libssl-dev libsasl2-dev libzstd-dev liblz4-dev libcurl4-openssl-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json tsconfig.build.cjs.json ./
RUN CKJS_LINKING=dynamic npm ci --no-audit --no-fund
COPY bin ./bin
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
# Run-time libraries of the dynamically linked Kafka client; no compiler, no header packages.
RUN apt-get update \
 && apt-get install -y --no-install-recommends zlib1g libssl3 libsasl2-2 libsasl2-modules libzstd1 liblz4-1 libcurl4 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
# No src/: bin/weir.js runs the compiled dist/ (a development checkout is one with src/).
COPY topology ./topology
COPY schemas ./schemas
COPY transforms ./transforms

USER node
ENV NODE_ENV=production WEIR_METRICS_PORT=9464
EXPOSE 9464
ENTRYPOINT ["node", "--max-semi-space-size=32", "bin/weir.js"]
CMD ["run"]
