#!/bin/sh
# Builds the Debian package of logpipe with cargo-deb: the binary, the man pages and shell completions
# generated from it (`logpipe man --dir`, `logpipe completions SHELL`), the systemd units, the example
# configs (conffiles under /etc/logpipe) and the maintainer scripts of pkg/debian/.
#
#   pkg/debian/build-deb.sh                  release build → target/debian/logpipe_<version>-1_<arch>.deb
#   pkg/debian/build-deb.sh --binary PATH    package a binary already built (the tests package their
#                                            debug build: no release build in CI)
#   pkg/debian/build-deb.sh ... --output DIR where the .deb goes (options after ours go to cargo-deb;
#                                            it runs from the repository root)
#
# Needs cargo-deb (`cargo install cargo-deb`) and dpkg. Honours CARGO_TARGET_DIR.
set -eu

binary=""
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary="$(realpath "$2")"; shift 2 ;;
        *) break ;;
    esac
done
cd "$(dirname "$0")/../.."

target="${CARGO_TARGET_DIR:-target}"
if [ -n "$binary" ]; then
    # Stage the given binary where cargo-deb looks for a release build (a hard link when possible).
    staging="$target/pkg-staging"
    rm -rf "$staging"
    mkdir -p "$staging/release"
    ln "$binary" "$staging/release/logpipe" 2>/dev/null || cp "$binary" "$staging/release/logpipe"
    target="$staging"
    export CARGO_TARGET_DIR="$staging"
else
    cargo build --locked --release --bin logpipe
fi
bin="$target/release/logpipe"

generated="$target/release/pkg-generated"
rm -rf "$generated"
mkdir -p "$generated/man" "$generated/completions"
"$bin" man --dir "$generated/man" >/dev/null
"$bin" completions bash > "$generated/completions/logpipe.bash"
"$bin" completions zsh > "$generated/completions/_logpipe"
"$bin" completions fish > "$generated/completions/logpipe.fish"

# cargo-deb takes the binary and the generated files from the release directory (`target/release/` in the
# assets of Cargo.toml).
exec cargo deb --no-build "$@"
