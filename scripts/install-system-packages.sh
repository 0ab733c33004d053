#!/usr/bin/env bash
# Install the Debian / Raspberry Pi OS packages the hall needs, only those missing.
# Idempotent and quick when everything is there. Uses sudo only when not root.
set -euo pipefail

PACKAGES=(
  mosquitto mosquitto-clients   # the broker and mosquitto_passwd
  fonts-wqy-microhei            # CJK font for Kivy screens, printer and bar emulators
  libmtdev1                     # silences a Kivy traceback on input probing
  socat                         # pty pairs for the LED bar emulator
  sox espeak-ng                 # voice clip generation and checks
  python3-venv
)
if [ "${HALL_BROWSER_TESTS:-1}" != "0" ]; then
  PACKAGES+=(chromium)          # console tests drive it through Playwright
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing system packages: ${missing[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
