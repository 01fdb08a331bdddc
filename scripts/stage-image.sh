#!/usr/bin/env bash
# Stages the container image's root (target/image-root): the release binary, exactly the shared
# libraries it links (ldd) with the dynamic loader, a world-writable /tmp for --tls's
# certificate, and passwd/group entries for the unprivileged user. The Containerfile copies
# it FROM scratch, so building the image downloads no base image.
#
#   scripts/stage-image.sh [BINARY]      # default: target/release/mock-connectwise
#   podman build -f Containerfile -t mock-connectwise target/image-root
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/mock-connectwise}
root=target/image-root
[ -x "$bin" ] || { echo "stage-image: no binary at $bin (cargo build --release -p mock-connectwise)" >&2; exit 1; }
rm -rf "$root"
mkdir -p "$root/bin" "$root/etc" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$bin" "$root/bin/mock-connectwise"
# Every library ldd resolves (`name => /path (addr)`) and the loader (`/path (addr)`), copied
# under its own path with symlinks resolved, so the loader finds them where the binary expects.
ldd "$bin" | awk '/=>/ { if ($3 ~ /^\//) print $3; next } $1 ~ /^\// { print $1 }' | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
if ldd "$bin" | grep -q 'not found'; then
  echo "stage-image: $bin links a library ldd cannot find" >&2
  exit 1
fi
echo 'root:x:0:0::/:/bin/mock-connectwise' > "$root/etc/passwd"
echo 'mock:x:10001:10001::/tmp:/bin/mock-connectwise' >> "$root/etc/passwd"
printf 'root:x:0:\nmock:x:10001:\n' > "$root/etc/group"
echo "stage-image: $(find "$root" -type f | wc -l) files, $(du -sh "$root" | cut -f1) in $root"
