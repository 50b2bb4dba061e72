#!/usr/bin/env bash
# Build (or reuse a cached) mediasoup-worker on Debian 12 from Debian packages only, for
# machines that cannot download mediasoup's prebuilt worker (air-gapped hospital intranets).
# The patch swaps meson subprojects for system libraries, maps the libsrtp3 API onto Debian's
# libsrtp2, and fixes a DTLS BIO crash that Debian's kTLS-enabled libssl triggers.
#   --cached-only   only install from the cache; exit 3 on a miss
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ms_dir=$(cd "${MS_DIR:-node_modules/mediasoup}" && pwd)
ver=$(node -p "require('$ms_dir/package.json').version")
patch_file=${PATCH_FILE:-$here/mediasoup-$ver-debian12.patch}
[ -f "$patch_file" ] || { echo "no patch for mediasoup $ver: $patch_file" >&2; exit 1; }
[ -f /etc/debian_version ] || { echo "offline worker build supports Debian only" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt_install() {
  dpkg -s "$@" >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || { echo "missing Debian packages ($*); run as root or install them" >&2; return 1; }
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"
}
# Runtime libraries of the worker (needed even on a cache hit).
apt_install libuv1 libssl3 libsrtp2-1 libabsl20220623
libs=$(dpkg-query -W -f='${Package}=${Version};' libuv1 libssl3 libsrtp2-1 libabsl20220623 2>/dev/null; cat /etc/debian_version)
key="$ver-$(sha256sum < "$patch_file" | cut -c1-12)-$(echo "$libs" | sha256sum | cut -c1-8)"
cache=${MEDIASOUP_WORKER_CACHE:-$HOME/.cache/mediasoup-worker}/$key
bin=$cache/mediasoup-worker
# A worker started outside mediasoup exits 41 ("not my real father"): the check upstream uses.
valid() { [ -x "$1" ] && { env -i "$1" >/dev/null 2>&1; [ $? -eq 41 ]; }; }
if ! valid "$bin"; then
  [ "${1:-}" = --cached-only ] && exit 3
  apt_install meson ninja-build pkg-config g++ libssl-dev libuv1-dev libabsl-dev \
    libsrtp2-dev libflatbuffers-dev flatbuffers-compiler
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -a "$ms_dir/worker" "$work/src"
  rm -rf "$work/src/out"
  patch -s -d "$work/src" -p1 < "$patch_file"
  meson setup "$work/build" "$work/src" --buildtype=release -Db_ndebug=true \
    -Dwarning_level=0 --wrap-mode=nodownload >/dev/null
  ninja -C "$work/build" -j"$(nproc)" mediasoup-worker
  mkdir -p "$cache"
  install -m 755 -s "$work/build/mediasoup-worker" "$bin.tmp" && mv "$bin.tmp" "$bin"
  valid "$bin" || { echo "built worker does not run" >&2; exit 1; }
fi
# Put it where mediasoup looks by default, so no env var is needed at run time.
mkdir -p "$ms_dir/worker/out/Release"
cp "$bin" "$ms_dir/worker/out/Release/mediasoup-worker"
echo "mediasoup-worker $ver ready (offline build): $bin"
