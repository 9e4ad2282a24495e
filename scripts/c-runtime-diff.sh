#!/usr/bin/env bash
# Checks that the C device runtime of the work tree (device/c) behaves as a
# base revision's does, byte for byte: both are built for the host with the
# simulator's HAL and driven side by side by scripts/c-runtime-diff/diff.c
# over random and mutated boot tables, end records and kernel rooms. For
# changes that must not change behaviour (making the runtime smaller,
# moving code); the Rust tests check the protocol, this checks the edges
# they do not reach (corrupt tables, every end-check branch).
#
#   scripts/c-runtime-diff.sh [BASE] [ROUNDS]   BASE: a git revision (default
#                                               main), ROUNDS: tables (default 200000)
#
# ECSP_DIFF_CFLAGS adds compiler flags to both builds, e.g. an image's masks:
#   ECSP_DIFF_CFLAGS="-DECSP_IMAGE_KINDS=0x100000u -DECSP_IMAGE_DTYPES=0x8u" DT=3 scripts/c-runtime-diff.sh
# Needs a host C compiler (cc) and git; nothing for the Epiphany.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-main}
ROUNDS=${2:-200000}
CC=${CC:-cc}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# shellcheck disable=SC2206 # words on purpose
FLAGS=(${ECSP_DIFF_CFLAGS:-})

mkdir -p "$WORK/old"
git archive "$BASE" device/c | tar -x -C "$WORK/old"
build() { # build OUT DIR: the runtime in DIR (a device/c) as a shared library
    "$CC" -std=c99 -O1 -fPIC -shared -Wl,-Bsymbolic "${FLAGS[@]}" -I"$2/include" -o "$1" \
        "$2"/src/channel.c "$2"/src/barrier.c "$2"/src/procs.c "$2"/src/executor.c "$2"/src/kernel.c
}
build "$WORK/old.so" "$WORK/old/device/c"
build "$WORK/new.so" device/c
"$CC" -std=c99 -O1 -Idevice/c/include -o "$WORK/diff" scripts/c-runtime-diff/diff.c -ldl
cd "$WORK"
echo "device/c against $BASE ($(git -C "$OLDPWD" rev-parse --short "$BASE")):"
./diff "$ROUNDS" 1
./diff "$((ROUNDS * 10))" 2 e
./diff "$ROUNDS" 3 k
