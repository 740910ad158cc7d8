#!/usr/bin/env bash
# Makes a machine ready for weir, idempotently: the Debian packages that the native Kafka client
# needs to build from source, Java and Maven for the local stack, Debian's chromium for the
# console's browser test (playwright-core drives it; no browser download), iproute2 and iptables
# for the fault suite's network faults, then `npm ci`.
# On a laptop with internet the Kafka client downloads its prebuilt binary instead; CKJS_LINKING
# only matters when it has to build (offline machines like CI).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'setup: %s\n' "$*"; }
t0=$SECONDS

# 1. System packages (Debian/Ubuntu). Elsewhere we only check.
# libnetfilter-queue-dev: the fault suite builds its packet delayer (test/faults/netdelay) against it.
DEB_PACKAGES=(build-essential python3 zlib1g-dev libssl-dev libsasl2-dev libzstd-dev liblz4-dev libcurl4-openssl-dev libnetfilter-queue-dev)
if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # The fault suite's network faults: namespaces and veth (iproute2), netem (tc), packet filters.
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
  if ((${#missing[@]})); then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
      || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
  else
    say "system packages present"
  fi
else
  for tool in java mvn cc; do
    command -v "$tool" >/dev/null 2>&1 || say "warning: $tool not found; the local stack or native build may need it"
  done
fi

# 2. Node dependencies. The Kafka client builds its bundled librdkafka against the system
#    libraries when no prebuilt binary can be downloaded.
export CKJS_LINKING=dynamic
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  # node-gyp would otherwise download Node's headers, which offline machines cannot.
  export npm_config_nodedir=/usr
fi
stamp=node_modules/.weir-setup-stamp
want="$(node --version) $(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && node -e "require('@confluentinc/kafka-javascript')" 2>/dev/null; then
  say "node_modules up to date"
else
  say "npm ci (builds the native Kafka client when no prebuilt binary is reachable: ~2 min on 2 cores)"
  npm ci --no-fund --no-audit --loglevel=error
  node -e "const k=require('@confluentinc/kafka-javascript'); console.log('setup: librdkafka ' + k.librdkafkaVersion)"
  echo "$want" > "$stamp"
fi
say "ready in $((SECONDS - t0)) s"
