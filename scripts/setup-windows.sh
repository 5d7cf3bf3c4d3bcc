#!/usr/bin/env bash
# Installs what the Windows builds of bitbridge need on Debian 12 x86-64: the mingw-w64 cross
# compilers, Wine (32- and 64-bit), and, per Windows triple, Cap'n Proto, GoogleTest, libffi and
# the header-only libraries in a cache prefix. See docs/windows.md.
#
#   ${BITBRIDGE_WINDOWS_DEPS:-$HOME/.cache/bitbridge/windows}/
#     i686-w64-mingw32/, x86_64-w64-mingw32/   install prefixes (include/, lib/, lib/cmake/)
#     src/                                      Debian source packages as downloaded
#     wine/                                     the private Wine prefix (tools/windows/wine-run.sh)
#
# Idempotent: when everything is present it prints one line and changes nothing. Needs root (or
# sudo) only when a package is missing or the deb-src entry has to be added. A prefix is rebuilt
# only when its stamp (versions, our patches, toolchain files, compiler) no longer matches;
# libffi has a stamp of its own (added later than the rest: a warm cache keeps its Cap'n Proto).
#
# Why the version alignment: Wine needs dozens of i386 libraries whose `Multi-Arch: same`
# packages must have the same version in amd64 and i386, and the i386 index of the security
# suite has been seen stale (see design.md §6). We compute, for every such package apt would
# have to install or keep for both architectures, the newest version both architectures offer,
# and pin it (plus the installed packages that require that exact version, e.g. the -dev
# packages) for the one apt run. No package list is hard-coded.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
APT_LOG_TAG=setup-windows
# shellcheck source=scripts/lib/apt.sh
. "$ROOT/scripts/lib/apt.sh"

PACKAGES=(
  # The cross compilers. The -posix thread model is required: the -win32 one lacks
  # std::recursive_mutex and breaks spdlog.
  g++-mingw-w64-i686-posix g++-mingw-w64-x86-64-posix
  # Wine runs both 32- and 64-bit .exe files in one (64-bit, WoW64) prefix.
  wine wine32:i386 wine64
  # Build tools. The Linux capnp compiler (capnproto) and its schema files (libcapnp-dev)
  # generate the code for every target; header-only spdlog/fmt/Boost and the GoogleTest sources
  # (/usr/src/googletest) are shared with the Windows builds.
  cmake ninja-build dpkg-dev patch file capnproto libcapnp-dev libspdlog-dev libfmt-dev libboost-dev
  googletest
  # libffi for Host::bind: the Linux builds use this package; its version is the Debian source
  # package built for each triple below.
  libffi-dev
  # widl compiles the IDL of the tests' in-process COM server (tests/windows/com_inproc/) to
  # its header and type library; libwine-dev has the system IDL files it imports (oaidl.idl).
  mingw-w64-tools libwine-dev
)
TRIPLES=(i686-w64-mingw32 x86_64-w64-mingw32)
DEPS_ROOT=${BITBRIDGE_WINDOWS_DEPS:-$HOME/.cache/bitbridge/windows}
CAPNP_PATCHES=("$ROOT"/tools/windows/patches/capnproto-*.patch)
HEADER_ONLY_CONFIGS="$ROOT/tools/windows/cmake-configs"
JOBS=${BITBRIDGE_JOBS:-$(nproc)}
CHANGED=0  # set when this run did anything; otherwise it says so in one line
export DEBIAN_FRONTEND=noninteractive

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f s", b - a}'; }

toolchain_for() {  # the toolchain file of a triple
  case "$1" in
    i686-w64-mingw32) echo "$ROOT/cmake/toolchains/windows-x86.cmake";;
    x86_64-w64-mingw32) echo "$ROOT/cmake/toolchains/windows-x86_64.cmake";;
    *) die "unknown triple $1";;
  esac
}

# --- 1. packages ---------------------------------------------------------------------------

# multiarch_pins ROOT...: writes to stdout an apt preferences file that aligns every
# `Multi-Arch: same` package the installation of ROOT... would leave present in both amd64 and
# i386 with differing versions, and logs each alignment. A preference pin (not `pkg:arch=ver` on
# the command line) because the closure over-approximates (both sides of `a | b`): a pin only
# changes which version apt would take, it never asks apt to install anything.
multiarch_pins() {
  local -a same both=()
  local -A in_native=() in_foreign=() inst=() src=() deps=() cand=() common=() pinned=()
  local p q v status name arch ver source depends
  for p in $(apt_closure "$NATIVE_ARCH" "$@"); do in_native[$p]=1; done
  for p in $(apt_closure i386 "$@"); do in_foreign[$p]=1; done
  mapfile -t same < <({ apt_multiarch_same "$NATIVE_ARCH" "${!in_native[@]}"
                        apt_multiarch_same i386 "${!in_foreign[@]}"; } | sort -u)
  # What is installed: version, source package and Depends of each NAME:ARCH.
  while IFS='|' read -r status name arch ver source depends; do
    [[ $status == ii* ]] || continue
    inst[$name:$arch]=$ver; src[$name:$arch]=${source:-$name}; deps[$name:$arch]=$depends
  done < <(dpkg-query -W -f='${db:Status-Abbrev}|${Package}|${Architecture}|${Version}|${source:Package}|${Depends}\n' 2>/dev/null)
  # Present in both architectures afterwards: pulled in by the roots, or already installed.
  for p in "${same[@]}"; do
    [ -n "${in_native[$p]:-}${inst[$p:$NATIVE_ARCH]:-}" ] && [ -n "${in_foreign[$p]:-}${inst[$p:i386]:-}" ] &&
      both+=("$p")
  done
  [ ${#both[@]} -gt 0 ] || return 0
  while read -r name ver; do cand[$name]=$ver; done < <(candidates "${both[@]/%/:$NATIVE_ARCH}" "${both[@]/%/:i386}")
  local -a unaligned=()
  for p in "${both[@]}"; do
    local ca=${cand[$p:$NATIVE_ARCH]:-} ci=${cand[$p:i386]:-} ia=${inst[$p:$NATIVE_ARCH]:-} ii=${inst[$p:i386]:-}
    if [ -z "$ca" ] || [ -z "$ci" ] || [ "$ca" = "(none)" ] || [ "$ci" = "(none)" ]; then continue; fi
    # Nothing to align when every version involved is already the same.
    [ "$(printf '%s\n' "$ca" "$ci" "$ia" "$ii" | grep -v '^$' | sort -u | wc -l)" -eq 1 ] && continue
    unaligned+=("$p")
  done
  [ ${#unaligned[@]} -gt 0 ] || return 0
  while read -r name ver; do common[$name]=$ver; done < <(newest_common_versions "${unaligned[@]}")
  for p in "${unaligned[@]}"; do
    local ca=${cand[$p:$NATIVE_ARCH]} ci=${cand[$p:i386]} ia=${inst[$p:$NATIVE_ARCH]:-} ii=${inst[$p:i386]:-}
    v=${common[$p]:-}
    [ -n "$v" ] || die "$p has no version offered for both amd64 ($ca) and i386 ($ci); run 'apt-get update' when the mirrors agree, then re-run"
    log "aligning $p: amd64 ${ia:-not installed} (candidate $ca), i386 ${ii:-not installed} (candidate $ci) -> $v for both"
    printf 'Package: %s\nPin: version %s\nPin-Priority: 1001\n\n' "$p" "$v"
    pinned[$p]=$v
  done
  # Installed packages that require exactly the installed version of a pinned package (the
  # -dev packages: libexpat1-dev Depends: libexpat1 (= 2.5.0-1+deb12u1)) must move with it, or
  # apt would propose removing them. They come from the same source, so the same version.
  for q in "${!inst[@]}"; do
    name=${q%:*}
    [ -n "${pinned[$name]:-}" ] && continue
    for p in "${unaligned[@]}"; do
      v=${pinned[$p]}
      [ "${src[$q]}" = "${src[$p:$NATIVE_ARCH]:-${src[$p:i386]:-}}" ] || continue
      [[ ", ${deps[$q]}" =~ ,\ "$p"(:any)?\ \(=\  ]] || continue
      [ "${inst[$q]}" = "$v" ] && continue
      apt-cache madison "$q" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | grep -qxF -- "$v" ||
        die "$q requires $p ${inst[$q]} exactly but is not offered in $v; remove it or update the mirrors"
      log "aligning $q (requires $p exactly): ${inst[$q]} -> $v"
      printf 'Package: %s\nPin: version %s\nPin-Priority: 1001\n\n' "$name" "$v"
      pinned[$name]=$v
      break
    done
  done
}

install_packages() {
  local -a missing=()
  local p
  if dpkg --print-foreign-architectures | grep -qx i386; then
    for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
  else
    missing=("${PACKAGES[@]}")
  fi
  [ ${#missing[@]} -eq 0 ] && return 0
  local t0; t0=$(now)
  apt_need_root "missing packages (${missing[*]})"
  log "missing: ${missing[*]}"
  if ! dpkg --print-foreign-architectures | grep -qx i386; then
    log "enabling the i386 architecture (multiarch)"
    "${SUDO[@]}" dpkg --add-architecture i386
  fi
  apt_update_tolerant /tmp/bitbridge-windows-apt-update.log
  local prefs; prefs=$(mktemp /tmp/bitbridge-windows-pins.XXXXXX)
  multiarch_pins "${missing[@]}" >"$prefs"
  log "installing: ${missing[*]}"
  # --no-remove: a version conflict must fail here with apt's explanation, never be
  # "solved" by removing installed packages.
  if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends --allow-downgrades --no-remove \
        "${APT_WAIT_FOR_LOCK[@]}" -o Dir::Etc::Preferences="$prefs" "${missing[@]}" >/tmp/bitbridge-windows-apt-install.log 2>&1; then
    tail -n 25 /tmp/bitbridge-windows-apt-install.log >&2
    die "apt-get install failed (full log: /tmp/bitbridge-windows-apt-install.log; pins used: $prefs).
       If it names a version conflict between :amd64 and :i386 packages, the mirrors disagree:
       run 'apt-get update' and re-run this script."
  fi
  rm -f "$prefs"
  for p in "${PACKAGES[@]}"; do installed "$p" || die "$p is still not installed after apt-get install"; done
  log "packages installed in $(since "$t0")"
  CHANGED=1
}

# --- 2. Debian source packages -------------------------------------------------------------

# ensure_deb_src PKG VERSION: makes `apt-get source PKG=VERSION` possible. When no deb-src
# entry offers it, adds one for the very repository and suite the installed binary came from
# (copying that entry's options, so Signed-By agrees) and updates only that entry.
ensure_deb_src() {
  local pkg=$1 ver=$2
  apt-cache showsrc "$pkg" 2>/dev/null | grep -qxF "Version: $ver" && return 0
  local desc entry file line release component uri
  desc=$(apt-cache policy "$pkg" | awk -v v="$ver" '
    /^ (\*\*\*| {3}) / { inver = ($2 == v); next }
    inver && $2 ~ /^[a-z]+:\/\// { $1 = ""; sub(/^ /, ""); print; exit }')
  [ -n "$desc" ] || die "no repository offers $pkg $ver; cannot find its source package"
  # shellcheck disable=SC2016  # $(FIELD) is apt-get indextargets' own syntax, not the shell's
  IFS='|' read -r entry release component uri < <(apt-get indextargets \
      --format '$(SOURCESENTRY)|$(RELEASE)|$(COMPONENT)|$(REPO_URI)' "Description: $desc" | head -n 1)
  file=${entry%:*} line=${entry##*:}
  [ -r "$file" ] || die "cannot read $file, the sources entry of '$desc'"
  apt_need_root "adding a deb-src entry for $desc"
  local out
  case "$file" in
    *.sources)  # deb822: the same stanza, as deb-src, for this one suite and component
      out=/etc/apt/sources.list.d/bitbridge-deb-src.sources
      awk -v start="$line" -v suite="$release" -v comp="$component" '
        NR < start { next }
        /^[[:space:]]*$/ { exit }
        /^#/ { next }
        /^Types:/ { print "Types: deb-src"; next }
        /^Suites:/ { print "Suites: " suite; next }
        /^Components:/ { print "Components: " comp; next }
        { print }' "$file" >"/tmp/bitbridge-deb-src.$$";;
    *)  # one-line format: deb [options] uri suite components
      out=/etc/apt/sources.list.d/bitbridge-deb-src.list
      sed -n "${line}p" "$file" | awk -v suite="$release" -v comp="$component" -v uri="${uri%/}" '
        { sub(/^deb /, "deb-src "); i = index($0, uri); print substr($0, 1, i - 1) uri " " suite " " comp }' \
        >"/tmp/bitbridge-deb-src.$$";;
  esac
  log "adding $out: source packages of $desc"
  { echo "# Added by bitbridge scripts/setup-windows.sh: source packages (capnproto) for the Windows builds."
    cat "/tmp/bitbridge-deb-src.$$"; } | "${SUDO[@]}" tee "$out" >/dev/null
  rm -f "/tmp/bitbridge-deb-src.$$"
  apt_update_tolerant /tmp/bitbridge-windows-apt-update-src.log \
    -o Dir::Etc::SourceList="$out" -o Dir::Etc::SourceParts=- -o APT::Get::List-Cleanup=0
  apt-cache showsrc "$pkg" 2>/dev/null | grep -qxF "Version: $ver" ||
    die "added $out but apt still offers no source for $pkg $ver (log: /tmp/bitbridge-windows-apt-update-src.log)"
}

# fetch_source PKG VERSION: downloads PKG's Debian source package into $DEPS_ROOT/src once and
# prints the path of its .dsc.
fetch_source() {
  local pkg=$1 ver=$2 dsc
  dsc="$DEPS_ROOT/src/${pkg}_${ver#*:}.dsc"
  if [ ! -f "$dsc" ]; then
    ensure_deb_src "$pkg" "$ver"
    mkdir -p "$DEPS_ROOT/src"
    (cd "$DEPS_ROOT/src" && apt-get source -q --download-only "$pkg=$ver" >"$DEPS_ROOT/src/$pkg.log" 2>&1) ||
      { tail -n 5 "$DEPS_ROOT/src/$pkg.log" >&2; die "apt-get source $pkg=$ver failed"; }
  fi
  printf '%s' "$dsc"
}

# --- 3. the per-triple prefixes ------------------------------------------------------------

upstream_version() {  # Debian version -> upstream version: 1:1.10.0+ds-0.4 -> 1.10.0
  local v=${1#*:}
  v=${v%-*}
  printf '%s' "${v%%[+~]*}"
}

sha() { cat "$@" | sha256sum | cut -c1-16; }

CAPNP_CMAKE_ARGS=(-DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF -DWITH_OPENSSL=OFF -DWITH_ZLIB=OFF
                  -DEXTERNAL_CAPNP=ON)
GTEST_CMAKE_ARGS=(-DCMAKE_BUILD_TYPE=Release -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON)
# Static: no libffi DLL to deploy next to the hosts. With GCC (mingw) ffi.h needs no define for
# a static libffi (its dllimport is MSVC-only); bitbridge still compiles with FFI_BUILDING.
FFI_CONFIGURE_ARGS=(--enable-static --disable-shared --disable-docs --disable-multi-os-directory)

# deps_stamp TRIPLE: everything the prefix's content depends on; the prefix is rebuilt when its
# recorded stamp differs.
deps_stamp() {
  local triple=$1 toolchain cpu=${1%%-*}
  toolchain=$(toolchain_for "$triple")
  cat <<STAMP
triple $triple
compiler $("$triple-g++-posix" -dumpversion) $(installed_version "g++-mingw-w64-${cpu//_/-}-posix")
toolchain $(sha "$ROOT/cmake/toolchains/windows-common.cmake" "$toolchain")
capnproto $(installed_version "capnproto:$NATIVE_ARCH") patches $(sha "${CAPNP_PATCHES[@]}") ${CAPNP_CMAKE_ARGS[*]}
googletest $(installed_version googletest) ${GTEST_CMAKE_ARGS[*]}
header-only fmt $(installed_version "libfmt-dev:$NATIVE_ARCH") spdlog $(installed_version "libspdlog-dev:$NATIVE_ARCH") boost $(installed_version "libboost-dev:$NATIVE_ARCH") configs $(find "$HEADER_ONLY_CONFIGS" -type f | sort | xargs cat | sha256sum | cut -c1-16)
STAMP
}

# ffi_stamp TRIPLE: what the prefix's libffi depends on (a stamp of its own, next to the other).
ffi_stamp() {
  local triple=$1 cpu=${1%%-*}
  cat <<STAMP
triple $triple
compiler $("$triple-gcc-posix" -dumpversion) $(installed_version "gcc-mingw-w64-${cpu//_/-}-posix")
libffi $(installed_version "libffi-dev:$NATIVE_ARCH") ${FFI_CONFIGURE_ARGS[*]}
STAMP
}

# run_logged LOG CMD...: runs CMD with its output in LOG; on failure shows the end of LOG and dies.
run_logged() {
  local logfile=$1; shift
  if ! "$@" >>"$logfile" 2>&1; then
    tail -n 30 "$logfile" >&2
    die "failed: $* (full log: $logfile)"
  fi
}

# build_prefix TRIPLE: builds Cap'n Proto and GoogleTest for TRIPLE, adds the header-only
# packages, and installs it all as $DEPS_ROOT/TRIPLE. The install is staged (DESTDIR) and moved
# into place at the end, so an interrupted build never leaves a prefix that looks complete.
build_prefix() {
  local triple=$1 toolchain prefix work stage logs t0 t1 capnp_ver dsc src p
  toolchain=$(toolchain_for "$triple")
  prefix="$DEPS_ROOT/$triple"
  work="$DEPS_ROOT/build/$triple"
  stage="$work/stage"
  logs="$DEPS_ROOT/logs"
  rm -rf "$work"; mkdir -p "$work" "$logs"
  rm -f "$logs/$triple"-*.log

  # Cap'n Proto: Debian's source with Debian's patches (dpkg-source -x), then ours. Every library
  # target is built: the installed CapnProtoTargets.cmake checks that each exported file exists.
  t0=$(now)
  capnp_ver=$(installed_version "capnproto:$NATIVE_ARCH")
  dsc=$(fetch_source capnproto "$capnp_ver")
  run_logged "$logs/$triple-capnproto.log" dpkg-source -x "$dsc" "$work/capnproto"
  for p in "${CAPNP_PATCHES[@]}"; do
    run_logged "$logs/$triple-capnproto.log" patch -d "$work/capnproto" -p1 -i "$p"
  done
  run_logged "$logs/$triple-capnproto.log" cmake -G Ninja -S "$work/capnproto" -B "$work/capnproto-build" \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_INSTALL_PREFIX="$prefix" "${CAPNP_CMAKE_ARGS[@]}"
  run_logged "$logs/$triple-capnproto.log" cmake --build "$work/capnproto-build" -j"$JOBS"
  run_logged "$logs/$triple-capnproto.log" env DESTDIR="$stage" cmake --install "$work/capnproto-build"
  log "$triple: Cap'n Proto $(upstream_version "$capnp_ver") built in $(since "$t0")"

  # GoogleTest from Debian's googletest package (/usr/src/googletest), gtest and gmock.
  t1=$(now)
  run_logged "$logs/$triple-googletest.log" cmake -G Ninja -S /usr/src/googletest -B "$work/googletest-build" \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_INSTALL_PREFIX="$prefix" "${GTEST_CMAKE_ARGS[@]}"
  run_logged "$logs/$triple-googletest.log" cmake --build "$work/googletest-build" -j"$JOBS"
  run_logged "$logs/$triple-googletest.log" env DESTDIR="$stage" cmake --install "$work/googletest-build"
  log "$triple: GoogleTest $(upstream_version "$(installed_version googletest)") built in $(since "$t1")"

  # Header-only spdlog, fmt (FMT_HEADER_ONLY) and Boost (Interprocess and the rest of the
  # header-only part; CMake's FindBoost finds it through the symlink): Debian's headers,
  # architecture-independent, linked into the prefix, with CMake package files of our own.
  src="$stage$prefix"
  for p in fmt spdlog boost; do ln -sfn "/usr/include/$p" "$src/include/$p"; done
  local -A versions=([fmt]="libfmt-dev:$NATIVE_ARCH" [spdlog]="libspdlog-dev:$NATIVE_ARCH")
  for p in fmt spdlog; do
    mkdir -p "$src/lib/cmake/$p"
    cp "$HEADER_ONLY_CONFIGS/$p/$p-config.cmake" "$src/lib/cmake/$p/"
    sed "s/@VERSION@/$(upstream_version "$(installed_version "${versions[$p]}")")/" \
      "$HEADER_ONLY_CONFIGS/version.cmake.in" >"$src/lib/cmake/$p/$p-config-version.cmake"
  done

  deps_stamp "$triple" >"$src/bitbridge-deps.stamp"
  rm -rf "$prefix"
  mv "$src" "$prefix"
  rm -rf "$work"
  rmdir "$DEPS_ROOT/build" 2>/dev/null || true
  log "$triple: installed in $prefix ($(since "$t0"))"
  CHANGED=1
}

# build_ffi TRIPLE: builds Debian's libffi source package (the version of the Linux builds'
# libffi-dev) for TRIPLE with autotools, static, and adds it to the existing prefix: staged, then
# copied in, and its stamp written last, so an interrupted build is redone on the next run.
build_ffi() {
  local triple=$1 prefix work stage logs t0 ver dsc
  prefix="$DEPS_ROOT/$triple"
  work="$DEPS_ROOT/build/$triple-libffi"
  stage="$work/stage"
  logs="$DEPS_ROOT/logs"
  rm -rf "$work"; mkdir -p "$work" "$logs"
  rm -f "$logs/$triple-libffi.log" "$prefix/bitbridge-libffi.stamp"
  t0=$(now)
  ver=$(installed_version "libffi-dev:$NATIVE_ARCH")
  [ -n "$ver" ] || die "libffi-dev is not installed (apt-get install libffi-dev)"
  dsc=$(fetch_source libffi "$ver")
  run_logged "$logs/$triple-libffi.log" dpkg-source -x "$dsc" "$work/libffi"
  mkdir -p "$work/build"
  run_logged "$logs/$triple-libffi.log" sh -c "cd '$work/build' && '$work/libffi/configure' \
    --host='$triple' --prefix='$prefix' CC='$triple-gcc-posix' CFLAGS='-O2' ${FFI_CONFIGURE_ARGS[*]}"
  run_logged "$logs/$triple-libffi.log" make -C "$work/build" -j"$JOBS"
  run_logged "$logs/$triple-libffi.log" make -C "$work/build" install DESTDIR="$stage"
  [ -f "$stage$prefix/lib/libffi.a" ] && [ -f "$stage$prefix/include/ffi.h" ] ||
    die "$triple: libffi built but lib/libffi.a or include/ffi.h is missing (log: $logs/$triple-libffi.log)"
  cp -a "$stage$prefix/." "$prefix/"
  ffi_stamp "$triple" >"$prefix/bitbridge-libffi.stamp"
  rm -rf "$work"
  rmdir "$DEPS_ROOT/build" 2>/dev/null || true
  log "$triple: libffi $(upstream_version "$ver") built and installed in $prefix ($(since "$t0"))"
  CHANGED=1
}

# --- main ----------------------------------------------------------------------------------

install_packages
mkdir -p "$DEPS_ROOT"
exec 8>"$DEPS_ROOT/.lock"  # one setup at a time per cache (two engineers, or CI and a shell)
flock 8
for triple in "${TRIPLES[@]}"; do
  if [ "$(cat "$DEPS_ROOT/$triple/bitbridge-deps.stamp" 2>/dev/null)" != "$(deps_stamp "$triple")" ]; then
    [ -e "$DEPS_ROOT/$triple" ] && log "$triple: prefix out of date (stamp differs), rebuilding"
    build_prefix "$triple"
  fi
  if [ "$(cat "$DEPS_ROOT/$triple/bitbridge-libffi.stamp" 2>/dev/null)" != "$(ffi_stamp "$triple")" ]; then
    build_ffi "$triple"
  fi
done
if ! BITBRIDGE_WINDOWS_DEPS=$DEPS_ROOT "$ROOT/tools/windows/wine-run.sh" --check; then
  t0=$(now)
  BITBRIDGE_WINDOWS_DEPS=$DEPS_ROOT "$ROOT/tools/windows/wine-run.sh" --init
  log "Wine prefix created in $(since "$t0")"
  CHANGED=1
fi
if [ "$CHANGED" = 0 ]; then
  log "mingw-w64, Wine and the Windows dependencies in $DEPS_ROOT are present"
else
  log "done; disk used by $DEPS_ROOT: $(du -sh "$DEPS_ROOT" | cut -f1)"
fi
