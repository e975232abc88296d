#!/usr/bin/env bash
# Rebuilds the sample objects from their C sources with clang-14 and libbpf's headers
# (Debian: apt-get install clang-14 libbpf-dev). The .o files are committed, so running the
# samples needs neither.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
clang=${CLANG:-clang-14}
arch_include=/usr/include/$(uname -m)-linux-gnu
for source in *.c; do
    "$clang" -O2 -g -target bpf -I"$arch_include" -c "$source" -o "${source%.c}.o"
    echo "built ${source%.c}.o"
done
