#!/usr/bin/env bash
# Install the Debian packages Vigie needs, only those missing (root on Debian 12).
# Usage: scripts/install-system.sh [--test]   (--test adds the browser for UI tests)
set -euo pipefail

packages=(python3 python3-venv python3-dev ffmpeg gettext nodejs npm ca-certificates fonts-dejavu-core
  libpango-1.0-0 libpangoft2-1.0-0)
# The simulated cameras: GStreamer's RTSP server, driven from Debian's Python through gi.
packages+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp gstreamer1.0-tools
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium chromium-driver postgresql-client openssl unzip)
fi

# A Python or Node already on PATH (pyenv, nvm…) is fine: don't ask apt for ours.
have_python=0; have_node=0
python3 -c 'import venv, ensurepip' 2>/dev/null && have_python=1
command -v npm >/dev/null && have_node=1

missing=()
for pkg in "${packages[@]}"; do
  case "$pkg" in
    python3 | python3-venv | python3-dev) ((have_python)) && continue ;;
    nodejs | npm) ((have_node)) && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "Missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
