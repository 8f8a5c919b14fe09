#!/usr/bin/env bash
# Installs the Debian packages the test suite uses; idempotent. Needs root or sudo.
#   softhsm2 + opensc   a real PKCS#11 token and pkcs11-tool
#   openssl             an independent verifier of signatures
#   neovim              a real third-party LSP client
#   libseccomp-dev, bubblewrap   the kernel fence and its comparison sandbox
#   linux-libc-dev, linux-libc-dev-arm64-cross   uapi headers the syscall tables are generated from
#   chromium            headless browser checks
#   gcc g++ make libc6-dev python3   native parts (fms-exec, pkcs11js)
set -euo pipefail
PKGS=(softhsm2 opensc openssl neovim libseccomp-dev linux-libc-dev linux-libc-dev-arm64-cross bubblewrap chromium gcc g++ make libc6-dev python3 ca-certificates)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (${#PKGS[@]})"
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  command -v sudo >/dev/null || { echo "system packages: missing ${missing[*]}; run this script as root (no sudo found)" >&2; exit 2; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
echo "system packages: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
