#!/usr/bin/env bash
# Builds the release binary for the hosts PanteraS runs on: x86_64 Linux with
# glibc 2.17 or later (CentOS 7, Ubuntu 16.04, Debian 9 and every later
# one), and checks that no symbol it needs is newer than glibc 2.17.
#
#   bash scripts/release.sh      -> target/x86_64-unknown-linux-gnu/release/panteras
#
# Needs zig (PyPI's ziglang) and cargo-zigbuild (crates.io), found on the
# PATH or under target/tools as .ci/run installs them:
#   python3 -m pip install --target target/tools/ziglang ziglang==0.17.1
#   cargo install --locked cargo-zigbuild@0.24.1 --root target/tools/cargo-zigbuild
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${PANTERAS_TOOLS:-$PWD/target/tools}
export PATH="$tools/ziglang/ziglang:$tools/cargo-zigbuild/bin:$PATH"

target=x86_64-unknown-linux-gnu
glibc=2.17
cargo zigbuild --release --locked --target "$target.$glibc"
binary=target/$target/release/panteras

# The newest glibc symbol version the binary asks the dynamic linker for.
newest=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV | tail -n 1)
if [ "$(printf '%s\n%s\n' "$newest" "$glibc" | sort -V | tail -n 1)" != "$glibc" ]; then
    echo "$binary needs glibc $newest; the hosts may have only $glibc" >&2
    exit 1
fi
"$binary" --version >/dev/null
echo "$binary: x86_64 Linux, glibc $newest or later"
