#!/usr/bin/env bash
# postinstall: make sure node_modules/mediasoup has a worker binary.
# Order: an existing valid binary; the offline-build cache; mediasoup's own install (prebuilt
# download, else its source build); the offline Debian build (scripts/mediasoup/).
# Set MEDIASOUP_WORKER_BIN to use a binary of your own; HUIZHEN_MEDIASOUP_OFFLINE=1 skips the download.
set -uo pipefail
cd "$(dirname "$0")/.."
ms=node_modules/mediasoup
[ -d "$ms" ] || exit 0
[ -n "${MEDIASOUP_WORKER_BIN:-}" ] && [ "$MEDIASOUP_WORKER_BIN" != skip ] && exit 0
valid() { [ -x "$1" ] && { env -i "$1" >/dev/null 2>&1; [ $? -eq 41 ]; }; }
bin=$ms/worker/out/Release/mediasoup-worker
valid "$bin" && { echo "mediasoup-worker present"; exit 0; }
offline=scripts/mediasoup/build-worker-offline.sh
if [ -f /etc/debian_version ] && bash "$offline" --cached-only 2>/dev/null; then exit 0; fi
if [ "${HUIZHEN_MEDIASOUP_OFFLINE:-0}" != 1 ]; then
  echo "mediasoup-worker: trying mediasoup's own install (prebuilt download)"
  if (cd "$ms" && env -u MEDIASOUP_WORKER_BIN timeout 1200 node npm-scripts.mjs postinstall >/tmp/huizhen-mediasoup-postinstall.log 2>&1) && valid "$bin"; then
    echo "mediasoup-worker installed by mediasoup"; exit 0
  fi
  echo "mediasoup-worker: download/build by mediasoup failed (log: /tmp/huizhen-mediasoup-postinstall.log); building offline"
  rm -rf "$ms/worker/out"
fi
exec bash "$offline"
