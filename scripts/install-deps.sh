#!/usr/bin/env bash
# Installs the Debian packages Coffer needs, only those missing.
# Usage: install-deps.sh build|test|all|fuzz
# Runs `apt-get update` once, and only when something must be installed.
# The node integration tests need Node.js >= 20 (the locked AWS SDK packages);
# Debian 12 ships 18, so when the machine has no Node.js 20 it is installed
# from the npm registry's `node` package, and the version is checked after.
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config libssl-dev libsqlite3-dev libboost-dev libboost-system-dev
  nlohmann-json3-dev libsimdjson-dev libcli11-dev libspdlog-dev libfmt-dev libargon2-dev libgtest-dev libgmock-dev
  libbenchmark-dev zlib1g-dev libpq-dev libpugixml-dev libp11-kit-dev)
test_pkgs=(awscli python3-boto3 python3-botocore python3-pytest python3-cryptography clang-format openssl
  postgresql s3cmd rclone softhsm2 opensc haproxy)
# libFuzzer and the sanitizer runtimes come with clang's runtime package.
fuzz_pkgs=(clang libclang-rt-14-dev)

want=()
case "${1:-all}" in
  build) want=("${build_pkgs[@]}") ;;
  test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  all) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
  fuzz) want=("${build_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
  *) echo "usage: $0 build|test|all|fuzz" >&2; exit 2 ;;
esac

node_major() { node -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }
needs_node=false
case "${1:-all}" in test | all) needs_node=true ;; esac
# Debian's npm is needed only to fetch Node.js 20 when the machine has none.
if $needs_node && [[ $(node_major) -lt 20 ]] && ! command -v npm >/dev/null 2>&1; then want+=(nodejs npm); fi

ensure_node20() {
  $needs_node || return 0
  [[ $(node_major) -ge 20 ]] && return 0
  echo "installing Node.js 20 from the npm registry (found: $(node --version 2>/dev/null || echo none))"
  $sudo npm install -g --no-audit --no-fund node@20 >/dev/null
  hash -r
  if [[ $(node_major) -lt 20 ]]; then
    echo "install-deps.sh: Node.js >= 20 is required, found $(node --version 2>/dev/null || echo none) at $(command -v node || echo nowhere)" >&2
    exit 1
  fi
}
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
ensure_node20
