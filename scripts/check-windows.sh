#!/usr/bin/env bash
# Type-checks the addon and the core for Windows (x86_64-pc-windows-msvc)
# from Linux: `cargo check` needs only the Rust target, since no crate in the
# tree compiles C (no `cc`/ring), so no MSVC, clang-cl or Windows SDK is
# needed to check. (Linking a .node for Windows does need them: the release
# workflow builds it on a Windows runner.) The in-container runner is Linux
# only and left out. Its own target dir, so the Linux build is not disturbed.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup target list --installed | grep -qx x86_64-pc-windows-msvc || rustup target add x86_64-pc-windows-msvc
exec cargo check --workspace --exclude pocket-dock-runner --exclude raw-bollard \
  --target x86_64-pc-windows-msvc --target-dir target/windows "$@"
