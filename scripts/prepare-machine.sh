#!/usr/bin/env bash
# What the test suite needs from the machine beyond npm: Debian packages (Chromium for the
# browser tests, dcmtk as the DICOM peer, fonts for Chinese PDF reports, poppler-utils to read them back, python3-pydicom
# for its real sample DICOM files) and running PostgreSQL + Redis. Idempotent; quick when everything is already there.
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

# Optional, bench only (bench/parts/imaging.mjs compares with Orthanc; tests never need it):
# HUIZHEN_BENCH_ORTHANC=1 installs Debian's Orthanc without starting its service — Orthanc 1.10
# cannot bind to loopback only, so the bench runs it in a loopback-only network namespace.
if [ "${HUIZHEN_BENCH_ORTHANC:-0}" = 1 ] && ! dpkg -s orthanc-dicomweb >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "HUIZHEN_BENCH_ORTHANC=1 needs root to install orthanc" >&2; exit 1; fi
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends orthanc orthanc-dicomweb orthanc-gdcm || { rm -f /usr/sbin/policy-rc.d; exit 1; }
  rm -f /usr/sbin/policy-rc.d
  command -v systemctl >/dev/null 2>&1 && systemctl disable --now orthanc >/dev/null 2>&1 || true
fi

# coturn: the TURN server of test/media/network-paths.e2e-spec.ts (TURN over UDP, TCP and TLS on 443).
# The test runs its own turnserver process on its emulated link; the Debian service is never
# started (policy-rc.d during the install, an existing policy kept) and is left disabled.
if ! dpkg -s coturn >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "missing Debian package: coturn (install it as root)" >&2; exit 1; fi
  saved_policy=""
  if [ -e /usr/sbin/policy-rc.d ]; then saved_policy=$(mktemp) && cp -p /usr/sbin/policy-rc.d "$saved_policy"; fi
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  restore_policy() { if [ -n "$saved_policy" ]; then mv -f "$saved_policy" /usr/sbin/policy-rc.d; else rm -f /usr/sbin/policy-rc.d; fi; }
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends coturn; } || { restore_policy; exit 1; }
  restore_policy
  command -v systemctl >/dev/null 2>&1 && systemctl disable --now coturn >/dev/null 2>&1 || true
fi

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
