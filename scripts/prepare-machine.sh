#!/usr/bin/env bash
# What the test suite needs from the machine beyond npm: Debian packages (Chromium for the
# browser tests, dcmtk as the DICOM peer, fonts for Chinese PDF reports, poppler-utils to read them back, python3-pydicom
# for its real sample DICOM files, Orthanc as the peer archive, coturn as the TURN server) and running PostgreSQL + Redis. Idempotent; quick when everything is already there.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
# python3-pydicom: real DICOM test files (incl. GB18030 / UTF-8 / ISO 2022 names); libgdcm-tools:
# gdcmconv for JPEG 2000 test files. Used by test/imaging and the viewer test. iproute2 (ip netns) and
# python3: the emulated township link of the media tests and bench (test/media/support/link-emulator.ts).
for pkg in chromium dcmtk fonts-noto-cjk python3-pydicom libgdcm-tools poppler-utils iproute2 python3; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "missing Debian packages: ${need[*]} (install them as root)" >&2; exit 1; fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# Debian packages that ship a service the tests never want running: installed with their service
# neither started (policy-rc.d during the install, an existing policy kept) nor enabled afterwards.
# The tests run their own process of each, in a network namespace of their own.
install_without_service() {
  local service=$1; shift
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(id -u)" != 0 ]; then echo "missing Debian packages: ${missing[*]} (install them as root)" >&2; exit 1; fi
  local saved_policy=""
  if [ -e /usr/sbin/policy-rc.d ]; then saved_policy=$(mktemp) && cp -p /usr/sbin/policy-rc.d "$saved_policy"; fi
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  local ok=0
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } || ok=1
  if [ -n "$saved_policy" ]; then mv -f "$saved_policy" /usr/sbin/policy-rc.d; else rm -f /usr/sbin/policy-rc.d; fi
  [ "$ok" = 0 ] || exit 1
  command -v systemctl >/dev/null 2>&1 && systemctl disable --now "$service" >/dev/null 2>&1 || true
}

# Orthanc with its DICOMweb and GDCM plugins: the peer archive of test/machines/orthanc*.e2e-spec.ts
# (STOW-RS and C-STORE to us with a service-account key, C-FIND of us, routed studies to it) and
# the comparison of the imaging bench. Orthanc 1.10 cannot bind to loopback only, so both run it in
# a network namespace of its own.
install_without_service orthanc orthanc orthanc-dicomweb orthanc-gdcm

# coturn: the TURN server of test/media/network-paths.e2e-spec.ts (TURN over UDP, TCP and TLS on 443).
# The test runs its own turnserver process on its emulated link.
install_without_service coturn coturn

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  ver=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
  [ -n "$ver" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -c 'CREATE DATABASE test' >/dev/null

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
echo "machine ready: $(node -v 2>/dev/null), PostgreSQL and Redis up"
