# shellcheck shell=bash
# apt helpers shared by scripts/setup.sh and scripts/setup-windows.sh. Sourced, not run.
#
# The caller sets APT_LOG_TAG (the prefix of every message, e.g. "setup") before sourcing.
# Everything here assumes Debian x86-64 with the i386 architecture added (multiarch): the
# `Multi-Arch: same` alignment compares amd64 and i386 only.

NATIVE_ARCH=$(dpkg --print-architecture)

log() { printf '%s: %s\n' "${APT_LOG_TAG:?}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${APT_LOG_TAG:?}" "$*" >&2; exit 1; }

# APT_WAIT_FOR_LOCK: options that make apt-get wait (up to 15 min) for the dpkg and list locks
# instead of failing at once. A fresh Debian machine often runs unattended-upgrades or apt-daily
# in its first minutes, and scripts/build.sh and scripts/build-windows.sh may be started side by
# side; both used to die with "Could not get lock /var/lib/dpkg/lock-frontend".
APT_WAIT_FOR_LOCK=(-o DPkg::Lock::Timeout=900 -o Acquire::Lock::Timeout=900)

installed() {  # true when PKG (native or arch:all) or PKG:ARCH is fully installed
  local name=${1%%:*} arch=${1#*:}
  [ "$arch" = "$1" ] && arch="($NATIVE_ARCH|all)"
  dpkg-query -W -f='${db:Status-Abbrev}${Architecture}\n' "$name" 2>/dev/null | grep -qE "^ii $arch\$"
}

installed_version() {  # version of PKG:ARCH installed, empty when none
  { dpkg-query -W -f='${db:Status-Abbrev} ${Version}\n' "$1" 2>/dev/null || true; } | awk '$1 == "ii" {print $2}'
}

# apt_need_root WHAT: sets the array SUDO to the command prefix that gives root (empty when
# already root); dies naming WHAT when neither root nor sudo is available.
apt_need_root() {
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "$1 and not root; re-run as root or install sudo"
    SUDO=(sudo)
  fi
}

# apt_update_tolerant LOGFILE [APT-OPTION...]: runs apt-get update. A stale or unreachable index
# for one architecture makes apt-get update exit 100 while every package we need may still be
# installable from the other indexes: warn, do not give up.
apt_update_tolerant() {
  local logfile=$1; shift
  if ! "${SUDO[@]}" apt-get update -q "${APT_WAIT_FOR_LOCK[@]}" "$@" >"$logfile" 2>&1; then
    log "warning: 'apt-get update' reported errors (often a stale i386 index); continuing."
    grep -E '^(E|W):' "$logfile" | head -n 5 >&2 || true
  fi
}

# newest_common_versions PKG...: prints "PKG VERSION" for each PKG, VERSION being the newest
# version of PKG offered for both amd64 and i386 (empty when there is none). One apt-cache run.
newest_common_versions() {
  [ $# -gt 0 ] || return 0
  apt-cache madison "${@/%/:amd64}" "${@/%/:i386}" 2>/dev/null | awk -F'|' -v want="$*" '
    { name = $1; gsub(/ /, "", name); sub(/:(amd64|i386)$/, "", name); ver = $2; gsub(/ /, "", ver) }
    $3 ~ / amd64 Packages/ { amd[name, ver] = 1 }
    $3 ~ / i386 Packages/ { i386[name, ver] = 1 }
    END {
      n = split(want, pkgs, " ")
      for (k in amd) {
        split(k, f, SUBSEP)
        if ((k in i386) && (!(f[1] in best) || newer(f[2], best[f[1]]))) best[f[1]] = f[2]
      }
      for (i = 1; i <= n; i++) print pkgs[i], best[pkgs[i]]
    }
    function newer(a, b) { return system("dpkg --compare-versions \"" a "\" gt \"" b "\"") == 0 }'
}

# newest_common_version PKG: prints the newest version of PKG offered for both amd64 and i386.
newest_common_version() {
  newest_common_versions "$1" | awk '{printf "%s", $2}'
}

candidate() {  # candidate version apt would pick for PKG:ARCH
  apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}'
}

# candidates PKG:ARCH...: prints "PKG:ARCH CANDIDATE" for each PKG:ARCH apt knows ("(none)"
# when it offers none). One apt-cache run.
candidates() {
  [ $# -gt 0 ] || return 0
  apt-cache policy "$@" 2>/dev/null | awk -v native="$NATIVE_ARCH" '
    /^[^ ]/ { name = $1; sub(/:$/, "", name); if (name !~ /:/) name = name ":" native }
    /^  Candidate:/ { print name, $2 }'
}

# apt_closure ARCH ROOT...: prints (sorted, without the :ARCH suffix) every package of
# architecture ARCH in the recursive Depends/PreDepends closure of ROOT... . An
# over-approximation: both sides of an alternative (a | b) are listed.
apt_closure() {
  local arch=$1; shift
  local pattern='^[a-z0-9][^ :]*:'"$arch"'$'
  [ "$arch" = "$NATIVE_ARCH" ] && pattern='^[a-z0-9][^ :]*$'
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
      --no-breaks --no-replaces --no-enhances "$@" 2>/dev/null |
    grep -E "$pattern" | sed "s/:$arch\$//" | sort -u
}

# apt_multiarch_same ARCH PKG...: prints (sorted) those of PKG whose ARCH package is
# `Multi-Arch: same`, i.e. must have the same version in every architecture it is installed for.
apt_multiarch_same() {
  local arch=$1; shift
  [ $# -gt 0 ] || return 0
  apt-cache show "${@/%/:$arch}" 2>/dev/null |
    awk '/^Package:/ {p=$2} /^Multi-Arch: same/ {print p}' | sort -u
}
