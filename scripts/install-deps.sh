#!/usr/bin/env bash
# Installs the Debian packages Coffer needs, only those missing.
# Usage: install-deps.sh build|test|all
# Runs `apt-get update` once, and only when something must be installed.
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config libssl-dev libsqlite3-dev libboost-dev libboost-system-dev
  nlohmann-json3-dev libsimdjson-dev libcli11-dev libspdlog-dev libfmt-dev libargon2-dev libgtest-dev libgmock-dev
  libbenchmark-dev zlib1g-dev)
test_pkgs=(awscli python3-boto3 python3-botocore python3-pytest python3-cryptography clang-format openssl)

want=()
case "${1:-all}" in
  build) want=("${build_pkgs[@]}") ;;
  test | all) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 build|test|all" >&2; exit 2 ;;
esac
# Node.js 20 comes with the machine image; install Debian's only when there is none.
if [[ "${1:-all}" != build ]] && ! command -v node >/dev/null 2>&1; then want+=(nodejs npm); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
