#!/usr/bin/env bash
# Installs what bitbridge needs to build both bitnesses on Debian 12 (x86-64 + i386 multiarch).
#
# Idempotent: when every package is already installed it touches nothing and returns at once.
# Needs root (or sudo) only when something is missing.
#
# Why the version alignment step exists: Debian's `Multi-Arch: same` packages must have the same
# version in amd64 and i386. On our machines the i386 index of the security suite was seen
# stale while amd64's was current, so apt proposed e.g. libssl3 3.0.22 for amd64 and 3.0.20 for
# i386 and refused to install libssl-dev:i386. We therefore pin every `Multi-Arch: same`
# package in the i386 dependency closure to the newest version *both* architectures offer.
# The apt helpers are shared with scripts/setup-windows.sh (scripts/lib/apt.sh).
set -euo pipefail

PACKAGES=(
  build-essential cmake file g++-multilib lib32atomic1 ccache
  capnproto libcapnp-dev libcapnp-dev:i386
  libspdlog-dev libspdlog-dev:i386 libfmt-dev libfmt-dev:i386
  libgtest-dev libgtest-dev:i386
  libffi-dev libffi-dev:i386
  libboost-dev
  libclang-14-dev zlib1g-dev
)

APT_LOG_TAG=setup
# shellcheck source=scripts/lib/apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

missing=()
if dpkg --print-foreign-architectures | grep -qx i386; then
  for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
else
  missing=("${PACKAGES[@]}")
fi
if [ ${#missing[@]} -eq 0 ]; then
  log "all build dependencies present"
  exit 0
fi

apt_need_root "missing packages (${missing[*]})"
export DEBIAN_FRONTEND=noninteractive

log "missing: ${missing[*]}"
if ! dpkg --print-foreign-architectures | grep -qx i386; then
  log "enabling the i386 architecture (multiarch)"
  "${SUDO[@]}" dpkg --add-architecture i386
fi

apt_update_tolerant /tmp/bitbridge-apt-update.log

# Every Multi-Arch: same package the i386 part pulls in, plus what amd64 already has of them.
i386_roots=()
for p in "${missing[@]}"; do case "$p" in *:i386) i386_roots+=("$p");; esac; done
pins=()
if [ ${#i386_roots[@]} -gt 0 ]; then
  mapfile -t closure < <(apt_closure i386 "${i386_roots[@]}")
  if [ ${#closure[@]} -gt 0 ]; then
    mapfile -t same < <(apt_multiarch_same i386 "${closure[@]}")
    for p in "${same[@]}"; do
      ca=$(candidate "$p:amd64"); ci=$(candidate "$p:i386")
      [ -n "$ca" ] && [ -n "$ci" ] && [ "$ca" != "(none)" ] && [ "$ci" != "(none)" ] || continue
      [ "$ca" = "$ci" ] && continue
      v=$(newest_common_version "$p")
      [ -n "$v" ] || die "$p has no version offered for both amd64 ($ca) and i386 ($ci); run 'apt-get update' when the mirrors agree, then re-run"
      log "aligning $p: amd64 candidate $ca, i386 candidate $ci -> $v for both"
      pins+=("$p:amd64=$v" "$p:i386=$v")
    done
  fi
fi

log "installing: ${missing[*]} ${pins[*]:-}"
if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends --allow-downgrades \
      "${APT_WAIT_FOR_LOCK[@]}" "${missing[@]}" "${pins[@]}" >/tmp/bitbridge-apt-install.log 2>&1; then
  tail -n 25 /tmp/bitbridge-apt-install.log >&2
  die "apt-get install failed (full log: /tmp/bitbridge-apt-install.log). If it names a version
       conflict between :amd64 and :i386 packages, the mirrors disagree: run 'apt-get update'
       and re-run this script; if it names a missing package, check /etc/apt/sources.list."
fi
for p in "${PACKAGES[@]}"; do installed "$p" || die "$p is still not installed after apt-get install"; done
log "done"
