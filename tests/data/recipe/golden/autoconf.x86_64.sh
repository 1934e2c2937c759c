#!/bin/sh
# Build plan for gzip-mini-1.13-r2 (x86_64), compiled from autoconf.yaml.
# Each step runs as its own process in a fresh sandbox with the environment
# shown; source steps are performed by the runner outside the sandbox.
# This rendering is for reading, not for running.
# GNU compression utility (test recipe)
#
# packages:
#   gzip-mini 1.13-r2 license GPL-3.0-or-later
#   gzip-mini-doc
#
# build environment:
#   packages: build-base busybox wget patch autoconf automake libtool make binutils scanelf
#   env: CFLAGS=-O2 -g
#   env: COMPOSER_CACHE_DIR=/var/cache/melange/composer
#   env: GOMODCACHE=/var/cache/melange/gomodcache
#   env: GOPATH=/home/build/.cache/go
#   env: HOME=/home/build
#   env: PIP_CACHE_DIR=/var/cache/melange/pip
#   env: UV_CACHE_DIR=/var/cache/melange/uv
#   env: npm_config_cache=/var/cache/melange/npm

# --- step 1 of 9, package gzip-mini (autoconf.yaml:24:5) [uses fetch]
# source step, performed by the runner: fetch
#   uri:       https://ftp.gnu.org/gnu/gzip/gzip-1.13.tar.xz
#   into:      /home/build/gzip-1.13.tar.xz
#   sha256:    7454eb6935db17c6655576c2e1b0fabefd38b4d0936e0f87f48cd062ce91a057
#   extract:   into /home/build, strip 1 leading components

# --- step 2 of 9, package gzip-mini (autoconf.yaml:29:5) [uses patch]
/bin/sh -c "$(cat <<'BUILDERD_STEP_2'
set -eo pipefail
[ -d '/home/build' ] || mkdir -p '/home/build'
cd '/home/build'
list=$(mktemp)
if [ -n "" ]; then
  grep -v -E '^[[:space:]]*(#|$)' "" > "$list"
elif [ -n "fix-build.patch" ]; then
  # the list may span lines: split it on any whitespace
  printf '%s\n' 'fix-build.patch' | tr -s ' \t' '\n\n' | grep -v '^$' > "$list"
else
  echo "patch: set 'patches' or 'series'" >&2
  exit 1
fi
while read -r p; do
  case "$p" in
  *[\;\&\|\$\`\'\"\<\>\(\)\*\?\[]*)
    echo "patch: refusing the file name '$p' (shell metacharacters)" >&2
    exit 1
    ;;
  esac
  echo "patch: applying $p"
  patch -p"1" --fuzz="2" --verbose < "$p"
done < "$list"
rm -f "$list"
exit 0
BUILDERD_STEP_2
)"

# --- step 3 of 9, package gzip-mini (autoconf.yaml:33:5) [uses autoconf/configure]
/bin/sh -c "$(cat <<'BUILDERD_STEP_3'
set -eo pipefail
[ -d '/home/build' ] || mkdir -p '/home/build'
cd '/home/build'
cd "."
# generate the script from configure.ac when it is not shipped
if [ ! -f ./configure ] && [ -f ./configure.ac ]; then
  autoreconf -vfi
fi
./configure \
  --host=x86_64-pc-linux-gnu \
  --build=x86_64-pc-linux-gnu \
  --prefix=/usr \
  --sysconfdir=/etc \
  --libdir=/usr/lib \
  --mandir=/usr/share/man \
  --infodir=/usr/share/info \
  --localstatedir=/var \
  --disable-gcc-warnings \
--enable-silent-rules=no

exit 0
BUILDERD_STEP_3
)"

# --- step 4 of 9, package gzip-mini (autoconf.yaml:39:5) [uses autoconf/make]
/bin/sh -c "$(cat <<'BUILDERD_STEP_4'
set -eo pipefail
[ -d '/home/build' ] || mkdir -p '/home/build'
cd '/home/build'
make -C "." -j"$(nproc)" V=1  
exit 0
BUILDERD_STEP_4
)"

# --- step 5 of 9, package gzip-mini (autoconf.yaml:41:5) [uses autoconf/make-install]
/bin/sh -c "$(cat <<'BUILDERD_STEP_5'
set -eo pipefail
[ -d '/home/build' ] || mkdir -p '/home/build'
cd '/home/build'
make -C "." install DESTDIR="/home/build/melange-out/gzip-mini" V=1 
exit 0
BUILDERD_STEP_5
)"

# --- step 6 of 9, package gzip-mini (autoconf.yaml:41:5) [uses autoconf/make-install]
/bin/sh -c "$(cat <<'BUILDERD_STEP_6'
set -eo pipefail
[ -d '/home/build' ] || mkdir -p '/home/build'
cd '/home/build'
if [ -d "/home/build/melange-out/gzip-mini" ]; then
  find "/home/build/melange-out/gzip-mini" -name '*.la' -type f -print -exec rm -f {} +
fi
exit 0
BUILDERD_STEP_6
)"

# --- step 7 of 9, package gzip-mini (autoconf.yaml:43:5) [uses strip]
/bin/sh -c "$(cat <<'BUILDERD_STEP_7'
set -eo pipefail
[ -d '/home/build' ] || mkdir -p '/home/build'
cd '/home/build'
dir="/home/build/melange-out/gzip-mini"
if [ ! -d "$dir" ]; then
  echo "strip: $dir does not exist, nothing to strip"
  exit 0
fi
cd "$dir"
# ELF executables and shared objects; STANDALONE (firmware) objects are left alone
scanelf --recursive --nobanner --osabi --etype ET_DYN,ET_EXEC . |
while read -r type osabi file; do
  [ "$osabi" != STANDALONE ] || continue
  # strip fails on objects for another machine: that is an error,
  # unless the file went away meanwhile (temporary files)
  strip -g "$file" || [ ! -e "$file" ]
done
exit 0
BUILDERD_STEP_7
)"

# --- step 8 of 9, package gzip-mini-doc (autoconf.yaml:49:9) [uses split/manpages]
/bin/sh -c "$(cat <<'BUILDERD_STEP_8'
set -eo pipefail
[ -d '/home/build' ] || mkdir -p '/home/build'
cd '/home/build'
src="/home/build/melange-out/gzip-mini"
if [ -n "" ]; then
  src="/home/build/melange-out/"
fi
dst="/home/build/melange-out/gzip-mini-doc"
if [ "$src" = "$dst" ]; then
  echo "split/manpages: a package cannot split files from itself" >&2
  exit 1
fi
if [ ! -d "$src" ]; then
  echo "split/manpages: $src does not exist, nothing to split"
  exit 0
fi
# move the contents of $1 (below $src) into $2 (below $dst)
merge() {
  [ -d "$src/$1" ] || return 0
  mkdir -p "$dst/$2"
  cp -a "$src/$1/." "$dst/$2/"
  rm -rf "${src:?}/$1"
  (cd "$src" && rmdir -p "${1%/*}" 2>/dev/null) || true
}
merge usr/share/man usr/share/man
merge usr/local/share/man usr/share/man
merge usr/man usr/share/man
exit 0
BUILDERD_STEP_8
)"

# --- step 9 of 9, package gzip-mini-doc (autoconf.yaml:50:9) [uses split/infodir]
/bin/sh -c "$(cat <<'BUILDERD_STEP_9'
set -eo pipefail
[ -d '/home/build' ] || mkdir -p '/home/build'
cd '/home/build'
src="/home/build/melange-out/gzip-mini"
if [ -n "" ]; then
  src="/home/build/melange-out/"
fi
dst="/home/build/melange-out/gzip-mini-doc"
if [ "$src" = "$dst" ]; then
  echo "split/infodir: a package cannot split files from itself" >&2
  exit 1
fi
if [ ! -d "$src" ]; then
  echo "split/infodir: $src does not exist, nothing to split"
  exit 0
fi
# move the contents of $1 (below $src) into $2 (below $dst)
merge() {
  [ -d "$src/$1" ] || return 0
  mkdir -p "$dst/$2"
  cp -a "$src/$1/." "$dst/$2/"
  rm -rf "${src:?}/$1"
  (cd "$src" && rmdir -p "${1%/*}" 2>/dev/null) || true
}
# the info index is rebuilt on installation, never shipped
rm -f "$src/usr/share/info/dir"
merge usr/share/info usr/share/info
exit 0
BUILDERD_STEP_9
)"

# ===== test of gzip-mini, in a fresh environment:
#   packages: gzip-mini
#   env: CFLAGS=-O2 -g
#   env: COMPOSER_CACHE_DIR=/var/cache/melange/composer
#   env: GOMODCACHE=/var/cache/melange/gomodcache
#   env: GOPATH=/home/build/.cache/go
#   env: HOME=/home/build
#   env: PIP_CACHE_DIR=/var/cache/melange/pip
#   env: UV_CACHE_DIR=/var/cache/melange/uv
#   env: npm_config_cache=/var/cache/melange/npm

# --- step 1 of 1, package gzip-mini (autoconf.yaml:54:7): round trip
/bin/sh -c "$(cat <<'BUILDERD_STEP_1'
set -eo pipefail
[ -d '/home/build' ] || mkdir -p '/home/build'
cd '/home/build'
echo hello > f
gzip f
gunzip f.gz
grep -q hello f
exit 0
BUILDERD_STEP_1
)"
