# A weir worker image: your repository (topology/, schemas/, transforms/) on top of weir.
# Build from a project that depends on weir, or from this repository for the example:
#   docker build -t weir-worker .
#   docker run --env-file weir.env weir-worker run --step enrich --instance-id enrich-0
FROM node:20-bookworm-slim

# The Kafka client downloads its prebuilt binary here; the dev packages are for the fallback build.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential python3 zlib1g-dev libssl-dev libsasl2-dev libzstd-dev liblz4-dev libcurl4-openssl-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN CKJS_LINKING=dynamic npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY topology ./topology
COPY schemas ./schemas
COPY transforms ./transforms

USER node
ENV NODE_ENV=production WEIR_METRICS_PORT=9464
EXPOSE 9464
ENTRYPOINT ["node", "--max-semi-space-size=32", "bin/weir.js"]
CMD ["run"]
