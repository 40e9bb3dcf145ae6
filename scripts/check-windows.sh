#!/usr/bin/env bash
# Type-checks the addon and the core for Windows (x86_64-pc-windows-msvc)
# from Linux. The Rust target comes from rustup. One crate builds C: ring
# (rustls's crypto), whose build script compiles its C for the target even
# for `cargo check`. Debian's clang can target MSVC, but the Windows SDK's C
# headers cannot be had here, so ring gets stand-ins for the three it
# includes (assert.h, stdlib.h, string.h: declarations only). The objects
# are never linked, so this proves the Rust code compiles, nothing more;
# linking a .node for Windows needs the real toolchain, which the release
# workflow has on its Windows runner. The in-container runner is Linux only
# and left out. Its own target dir, so the Linux build is not disturbed.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -qx x86_64-pc-windows-msvc || rustup target add x86_64-pc-windows-msvc
llvm=/usr/lib/llvm-14/bin
if [ ! -x "$llvm/clang" ]; then
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang-14 llvm-14 >/dev/null
fi
inc=target/windows/include
mkdir -p "$inc"
echo '#define assert(x) ((void)0)' >"$inc/assert.h"
printf '#include <stddef.h>\nvoid abort(void);\n' >"$inc/stdlib.h"
printf '#include <stddef.h>\nvoid *memcpy(void *, const void *, size_t);\nvoid *memmove(void *, const void *, size_t);\nvoid *memset(void *, int, size_t);\nint memcmp(const void *, const void *, size_t);\n' >"$inc/string.h"
export CC_x86_64_pc_windows_msvc="$llvm/clang" AR_x86_64_pc_windows_msvc="$llvm/llvm-ar"
export CFLAGS_x86_64_pc_windows_msvc="-I$PWD/$inc"
exec cargo check --workspace --exclude pocket-dock-runner --exclude raw-bollard \
  --target x86_64-pc-windows-msvc --target-dir target/windows "$@"
