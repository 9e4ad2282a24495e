#!/usr/bin/env bash
# Measures what the device image takes of a core's runtime reserve
# (0x0100..0x4000, PROTOCOL.md section 2): builds the images of the table in
# device/c/README.md ("What an image carries") with the flags of
# device/build.rs, and prints each one's code and data (the image's sections
# inside the reserve: .text, .ecsp_image, .rodata, .data, .bss), whether it
# fits, and its largest symbols.
#
#   scripts/image-sizes.sh [TOP]     TOP: symbols listed per image (default 12, 0: none)
#
# Needs only an Epiphany C compiler: ECSP_EPIPHANY_CC (default
# epiphany-elf-gcc), with its binutils (`size`, `nm`) beside it. No cargo,
# no eSDK. ECSP_IMAGE_CFLAGS adds compiler flags to every image, to try one
# out before it goes into device/build.rs.
#
# An image that does not fit fails to link against the real linker script;
# it is then linked once more with the reserve's bound lifted, only to be
# measured, and reported as not fitting.
set -euo pipefail
cd "$(dirname "$0")/../device"

TOP=${1:-12}
CC=${ECSP_EPIPHANY_CC:-epiphany-elf-gcc}
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "image-sizes: no Epiphany C compiler: \`$CC\` is not on PATH." >&2
    echo "  Set ECSP_EPIPHANY_CC to one (an epiphany-elf-gcc, or the eSDK's e-gcc), e.g. . /opt/ecsp-esdk/env.sh" >&2
    exit 2
fi
# size and nm of the same binutils: next to the compiler, named as it is.
CC_PATH=$(command -v "$CC")
TOOL_PREFIX=${CC_PATH%gcc}
SIZE=${TOOL_PREFIX}size
NM=${TOOL_PREFIX}nm
for tool in "$SIZE" "$NM"; do
    [ -x "$tool" ] || { echo "image-sizes: found $CC_PATH but not $tool beside it" >&2; exit 2; }
done

# The flags of device/build.rs's device_image(): keep the two in step.
CFLAGS=(-std=c99 -Os -ffreestanding -nostdlib -nostartfiles -fno-tree-loop-distribute-patterns
    -mshort-calls -ffunction-sections -fdata-sections -fwrapv -Wl,--gc-sections -Wall -Wextra -Wno-implicit-fallthrough
    -Wno-unused-function -DECSP_HAL_SILICON -Ic/include)
# shellcheck disable=SC2206 # words on purpose
EXTRA=(${ECSP_IMAGE_CFLAGS:-})
SOURCES=(c/silicon/crt0.S c/silicon/main.c c/silicon/divide.c c/silicon/switch.S
    c/src/channel.c c/src/barrier.c c/src/procs.c c/src/executor.c c/src/kernel.c)

# The bit mask of comma-separated names (or `all`) among protocol.h's
# `#define ECSP_<prefix><NAME> <id>u`, as device/build.rs computes it.
mask_of() {
    local list=$1 prefix=$2 mask=0 name id
    if [ "$list" = all ]; then
        for id in $(sed -n "s/^#define ECSP_${prefix}[A-Z0-9_]* \([0-9][0-9]*\)u\$/\1/p" c/include/ecsp/protocol.h); do
            mask=$((mask | 1 << id))
        done
    elif [ -n "$list" ]; then
        for name in ${list//,/ }; do
            id=$(sed -n "s/^#define ECSP_${prefix}${name^^} \([0-9][0-9]*\)u\$/\1/p" c/include/ecsp/protocol.h)
            [ -n "$id" ] || { echo "image-sizes: \`$name\` is no ECSP_${prefix}* of protocol.h" >&2; exit 2; }
            mask=$((mask | 1 << id))
        done
    fi
    printf '%#x' "$mask"
}

DEFAULT_KINDS=id,succ,prefix,delta,consume,generate,sieve,merge,plus,tail # device/build.rs DEFAULT_KINDS
DEFAULT_DTYPES=i32,u32,f32,i64,u8                                         # device/build.rs DEFAULT_DTYPES

# label | kinds | dtypes | ECSP_IMAGE_KERNELS
IMAGES=(
    "runtime + succ|succ|$DEFAULT_DTYPES|0"
    "runtime + users' kernels, no built-in kind|-|$DEFAULT_DTYPES|1"
    "default kinds and dtypes|$DEFAULT_KINDS|$DEFAULT_DTYPES|0"
    "mandel, f32|mandel|f32|0"
    "map, f32|map|f32|0"
    "map, zip, reduce, f32|map,zip,reduce|f32|0"
    "ramp, map, reduce, consume, f32|ramp,map,reduce,consume|f32|0"
    "map, f64|map|f64|0"
    "every kind and dtype|all|all|0"
)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# An image with users' kernels links the table the host generates for its
# core (host/src/kernels/image.rs): here an empty one, for the runtime alone.
cat >"$WORK/table.c" <<'EOF'
#include <stdint.h>
typedef struct { uint32_t kind; void (*entry)(void); } ecsp_kernel_entry;
const ecsp_kernel_entry ecsp_kernel_table[1] = {{0u, 0}};
const uint32_t ecsp_kernel_count = 0u;
EOF
# The linker script with the reserve's bound lifted, to measure what does not fit.
sed -e 's/LENGTH = 0x4000 - 0x0100/LENGTH = 0x40000/' -e '/^ASSERT(/d' c/silicon/ecsp.ld >"$WORK/unbounded.ld"

printf '%-44s %8s %8s  %s\n' image bytes KiB fits
SYMBOLS=""
n=0
for image in "${IMAGES[@]}"; do
    IFS='|' read -r label kinds dtypes kernels <<<"$image"
    [ "$kinds" = - ] && kinds=""
    n=$((n + 1))
    elf=$WORK/image$n.elf
    defines=(-DECSP_IMAGE_KINDS="$(mask_of "$kinds" KIND_)u" -DECSP_IMAGE_DTYPES="$(mask_of "$dtypes" DTYPE_)u"
        -DECSP_IMAGE_KERNELS="$kernels")
    sources=("${SOURCES[@]}")
    [ "$kernels" = 1 ] && sources+=("$WORK/table.c")
    fits=yes
    if ! "$CC" "${CFLAGS[@]}" "${EXTRA[@]}" "${defines[@]}" -Tc/silicon/ecsp.ld -o "$elf" "${sources[@]}" -lgcc \
        2>"$WORK/log$n"; then
        fits=no
        if ! "$CC" "${CFLAGS[@]}" "${EXTRA[@]}" "${defines[@]}" -T"$WORK/unbounded.ld" -o "$elf" "${sources[@]}" \
            -lgcc 2>"$WORK/log$n"; then
            echo "image-sizes: building \"$label\" failed:" >&2
            cat "$WORK/log$n" >&2
            exit 1
        fi
    fi
    # Sections placed inside the reserve (the IVT and the loader's words sit below 0x100).
    bytes=$("$SIZE" -A "$elf" | awk '$3 >= 256 && $3 < 16384 { sum += $2 } END { print sum + 0 }')
    printf '%-44s %8d %8s  %s\n' "$label" "$bytes" "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1024 }')" "$fits"
    if [ "$TOP" -gt 0 ]; then
        SYMBOLS+=$'\n'"$label: largest symbols (bytes)"$'\n'
        while read -r _ size _ name; do
            SYMBOLS+=$(printf '  %6d  %s' "$((16#$size))" "$name")$'\n'
        done < <("$NM" --size-sort -S -r "$elf" | head -n "$TOP")
    fi
done
printf '%s' "$SYMBOLS"
