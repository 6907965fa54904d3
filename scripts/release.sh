#!/usr/bin/env bash
# `make release`: registry artifacts for this platform — a zip holding
# terraform-provider-autoscale_v<VERSION>, the SHA256SUMS file, the registry manifest declaring
# plugin protocol 6.0 — and an unpacked filesystem_mirror folder users can point Terraform at:
#
#   provider_installation { filesystem_mirror { path = "<out>/mirror" } }
#
#   scripts/release.sh [--binary PATH] [--out DIR]
#
# Without --binary it builds the release binary. Only the build machine's platform is packaged:
# cross-compiling needs toolchains this project does not install.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
binary=""
out="$root/dist"
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: scripts/release.sh [--binary PATH] [--out DIR]" >&2; exit 2 ;;
  esac
done
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
[ -n "$version" ] || { echo "no version in Cargo.toml" >&2; exit 1; }
if [ -z "$binary" ]; then
  cargo build --release -q -p terraform-provider-autoscale
  binary="$root/target/release/terraform-provider-autoscale"
fi
os=$(uname -s | tr '[:upper:]' '[:lower:]')
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
platform="${os}_${arch}"
name="terraform-provider-autoscale"
mkdir -p "$out"
# Replace only what a previous release of this version wrote, never anything else in $out.
rm -rf "$out/mirror/registry.terraform.io/autoscale/autoscale/$version"
rm -f "$out/${name}_${version}"_*

python3 - "$binary" "$out/${name}_${version}_${platform}.zip" "${name}_v${version}" <<'EOF2'
import sys, zipfile
binary, archive, member = sys.argv[1:4]
info = zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0))  # fixed date: reproducible archives
info.external_attr = 0o755 << 16
info.compress_type = zipfile.ZIP_DEFLATED
with open(binary, "rb") as handle, zipfile.ZipFile(archive, "w") as zf:
    zf.writestr(info, handle.read())
EOF2
printf '{\n  "version": 1,\n  "metadata": {\n    "protocol_versions": ["6.0"]\n  }\n}\n' >"$out/${name}_${version}_manifest.json"
(cd "$out" && sha256sum "${name}_${version}"_*.zip "${name}_${version}_manifest.json" >"${name}_${version}_SHA256SUMS")

mirror="$out/mirror/registry.terraform.io/autoscale/autoscale/$version/$platform"
mkdir -p "$mirror"
cp "$binary" "$mirror/${name}_v${version}"
chmod 755 "$mirror/${name}_v${version}"
echo "release $version for $platform in $out:"
(cd "$out" && ls -1 "${name}_${version}"_*)
echo "filesystem mirror: $out/mirror"
