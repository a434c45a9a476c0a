#!/usr/bin/env bash
# The fleet benchmark of docs/load.md: N (default 100,000) mutual-TLS connections held at once by
# `uvtls load --processes auto` against uvtls server processes sharing one port (a cluster, each
# worker on the port through SO_REUSEPORT), spread over source addresses 127.0.0.2-127.0.0.9;
# then the same with Node's tls as the client library (--impl node), as far as it gets.
# SERVER=node runs Node's tls as the server instead; CLIENTS="uvtls" runs one client library.
# Prints the server processes' memory per connection at their peak, client memory per connection, handshakes per second during the ramp, p99 handshake
# latency and where each run stopped. Not a CI test: it needs minutes and ~several GiB.
#
#   [SERVER=uvtls|node] [CLIENTS="uvtls node"] bench/fleet.sh [N] [SERVER_WORKERS]        results in ${OUT:-/tmp/uvtls-fleet}
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
WORKERS=${2:-8}
OUT=${OUT:-/tmp/uvtls-fleet}
PORT=${PORT:-18443}
RATE=${RATE:-2000}
mkdir -p "$OUT"

hard=$(ulimit -Hn)
echo "fleet: $N connections, $WORKERS server workers (open-file limit: soft $(ulimit -Sn), hard $hard)"
ulimit -n "$hard"
if (( N / WORKERS + 256 > hard )); then
  echo "fleet: $WORKERS workers cannot hold $N connections under $hard descriptors each; use more" >&2
  exit 2
fi

if [[ ! -f "$OUT/devices/device-$(printf '%0*d' $(( ${#N} > 5 ? ${#N} : 5 )) "$N")_certificate.pem" ]]; then
  node bin/uvtls.js gen --clients "$N" --dir "$OUT" --force
fi

SERVER=${SERVER:-uvtls}
CLIENTS=${CLIENTS:-uvtls node}
server=
trap '[[ -n "$server" ]] && kill $server 2>/dev/null || true' EXIT

for impl in $CLIENTS; do
  # A fresh server for each client library, so its peak and memory are this run's.
  log="$OUT/server-$SERVER-for-$impl.log"
  node test/interop/servers/load-server.js "$SERVER" "$PORT" "$WORKERS" "$OUT" > "$log" 2>&1 &
  server=$!
  until grep -q listening "$log"; do
    kill -0 $server 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.2
  done
  echo "fleet: $SERVER server ($WORKERS processes), client $impl"
  set +e
  node bin/uvtls.js load "127.0.0.1:$PORT" --certs "$OUT" --connections "$N" --rate "$RATE" \
    --processes auto --local-address 127.0.0.2-127.0.0.9 --impl "$impl" --progress-interval 10 \
    --json "$OUT/$impl.json" --report "$OUT/$impl.html"
  echo "fleet: client $impl exit status $?"
  set -e
  kill -USR2 $server
  until grep -q '^count' "$log"; do sleep 0.2; done
  echo "fleet $SERVER server: $(grep '^count' "$log" | tail -1)"
  kill $server; wait $server 2>/dev/null || true
  server=
  node -e '
    const r = require(process.argv[1]);
    const { Histogram } = require("./lib/load/histogram");
    const h = Histogram.fromJSON(r.histograms.handshake).summary();
    const ramp = r.timeline.filter((s) => s.newPerSec > 0).map((s) => s.newPerSec);
    console.log(`fleet ${r.impl} client: up ${r.counters.upAtEnd}/${r.planned} (peak ${r.counters.peakUp}), ` +
      `failed ${r.counters.failed}, ${r.processes || 1} processes; memory/connection ` +
      `${r.memory.bytesPerConnection ? (r.memory.bytesPerConnection / 1024).toFixed(1) + " KiB" : "-"}; ` +
      `handshakes/s during the ramp: mean ${ramp.length ? Math.round(ramp.reduce((a, b) => a + b, 0) / ramp.length) : 0}, ` +
      `peak ${Math.max(0, ...ramp)}; handshake p50 ${h.p50} ms p99 ${h.p99} ms max ${h.max} ms; ended: ${r.stopReason}` +
      (r.errors.length ? `; first errors: ${r.errors.slice(0, 3).map((e) => e.code + " x" + e.count).join(", ")}` : ""));
  ' "$OUT/$impl.json"
done
