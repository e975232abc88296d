#!/usr/bin/env bash
# Rebuilds the loader's test objects from their C sources with clang-14 and libbpf's headers
# (Debian: apt-get install clang-14 libbpf-dev). The .o files are committed so the tests need
# no compiler; a test checks that every .c and .s has its .o.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
clang=${CLANG:-clang-14}
arch_include=/usr/include/$(uname -m)-linux-gnu
for source in *.c; do
    # A source may ask for extra flags on its first line: "// clang-flags: ...".
    flags=$(sed -n '1s|^// clang-flags: ||p' "$source")
    # shellcheck disable=SC2086
    "$clang" -O2 -g -target bpf -I"$arch_include" $flags -c "$source" -o "${source%.c}.o"
    echo "built ${source%.c}.o"
done
for source in *.s; do
    "$clang" -target bpf -c "$source" -o "${source%.s}.o"
    echo "built ${source%.s}.o"
done
