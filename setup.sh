#!/usr/bin/env bash
# Installs what a fresh machine lacks to build and run xmig, then builds it. Idempotent: a second run
# installs nothing and Maven rebuilds only what changed. Source it or run it; bin/demo and bin/test call it.
#   XMIG_SKIP_BUILD=1  only install packages, do not build
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# Debian packages: Xen 4.17 headers and libraries (the bindings' ABI and the real-library test), Xen's tools
# (xen-utils-4.17: verify-stream-v2, the format oracle of the stream-writer tests), the native toolchain, iproute2
# (network namespaces for multi-host tests), Maven.
PKGS=(libxen-dev xen-utils-4.17 gcc make libc6-dev iproute2 maven)
missing=()
for p in "${PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Java 25: Temurin ships on these machines; the default java is 17.
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  for j in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/temurin-2[6-9]-jdk-amd64; do
    [ -x "$j/bin/java" ] && { export JAVA_HOME="$j"; break; }
  done
fi
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  echo "setup: xmig needs a Java 25 JDK (expected at /usr/lib/jvm/temurin-25-jdk-amd64); set JAVA_HOME to one." >&2
  exit 1
fi
export PATH="$JAVA_HOME/bin:$PATH"

# userfaultfd: root can always open it; others need vm.unprivileged_userfaultfd=1 or user-mode-only faults,
# which the simulator falls back to by itself.
if [ "$(id -u)" != 0 ] && [ "$(cat /proc/sys/vm/unprivileged_userfaultfd 2>/dev/null || echo 0)" = 0 ]; then
  echo "setup: note: not root and vm.unprivileged_userfaultfd=0: the simulator uses UFFD_USER_MODE_ONLY" >&2
fi

if [ "${XMIG_SKIP_BUILD:-0}" != 1 ]; then
  mvn -B -q -DskipTests install
fi
