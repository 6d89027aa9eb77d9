#!/usr/bin/env bash
# e2e_install.sh: the README's install and compile line, as a user runs them. `cmake --install`
# into a temporary prefix (not the one configured), then every examples/*.c compiled with exactly
# `cc prog.c $(pkg-config --cflags --libs llmbo)` found through PKG_CONFIG_PATH, and run.
set -u
SRC=${LLMBO_SOURCE_DIR:?LLMBO_SOURCE_DIR not set}
BUILD=${LLMBO_BUILD_DIR:?LLMBO_BUILD_DIR not set}
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/llmbo-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
staged="$tmp/staged"
if cmake --install "$BUILD" --prefix "$staged" >"$tmp/install.log" 2>&1; then
    pass "cmake --install to a temporary prefix"
else
    fail "cmake --install: $(tail -3 "$tmp/install.log")"
fi
# Moved after installing: a relocatable llmbo.pc finds its prefix from its own place.
prefix="$tmp/moved"
mv "$staged" "$prefix"
pc=$(find "$prefix" -name llmbo.pc | head -1)
[ -n "$pc" ] && pass "llmbo.pc installed ($pc)" || fail "no llmbo.pc under $prefix"
export PKG_CONFIG_PATH
PKG_CONFIG_PATH="$(dirname "$pc")"
libdir=$(pkg-config --variable=libdir llmbo)
inc=$(pkg-config --variable=includedir llmbo)
[ -f "$inc/llmbo.h" ] && [ -f "$libdir/libllmbo.so" ] &&
    pass "pkg-config points into the moved prefix ($inc, $libdir)" ||
    fail "pkg-config: includedir '$inc', libdir '$libdir' (expected under $prefix)"
cd "$tmp" || exit 1
for src in "$SRC"/examples/*.c; do
    name=$(basename "$src" .c)
    cp "$src" prog.c
    # The README's compile line, verbatim.
    if cc prog.c $(pkg-config --cflags --libs llmbo) >"$name.log" 2>&1; then
        pass "$name: cc prog.c \$(pkg-config --cflags --libs llmbo)"
    else
        fail "$name does not build: $(head -5 "$name.log")"
        continue
    fi
    # From the source tree: bo_asktell replays its advisor from examples/advisors/cassettes/.
    # A sanitized build's library needs the ASan runtime first in the (uninstrumented) program.
    preload=${LLMBO_ASAN_RT:+LD_PRELOAD=$LLMBO_ASAN_RT}
    if (cd "$SRC" && env $preload LD_LIBRARY_PATH="$libdir" "$tmp/a.out") >"$name.out" 2>&1; then
        pass "$name runs against the installed library"
    else
        fail "$name exits $?: $(tail -3 "$name.out")"
    fi
    rm -f a.out
done
echo "$fails failed"
[ "$fails" -eq 0 ]
