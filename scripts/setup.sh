#!/usr/bin/env bash
# Installs what the build and the tests need and is missing: the WebAssembly target, the
# wasm-bindgen CLI of the version pinned in Cargo.toml, the npm packages (Playwright, binaryen
# for wasm-opt), with --tests or --package cargo-deb, and with --tests the Debian packages of
# the tests: Chromium, keepalived, OVN with Open vSwitch, openssl, ping, haproxy, adduser and
# systemd's tools (the API fuzzer installs itself into .venv). Says clearly what it cannot install.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=${1:-}
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\033[31merror: %s\033[0m\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || fail "cargo is missing: install Rust with rustup (https://rustup.rs)"
command -v rustup >/dev/null || fail "rustup is missing: the wasm32 target is installed through it"
command -v npm >/dev/null || fail "npm is missing: install Node.js 20 or newer"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The CLI must be exactly the version of the wasm-bindgen crate, or it refuses the module.
bindgen_version=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)
[ -n "$bindgen_version" ] || fail "could not read the pinned wasm-bindgen version from Cargo.toml"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$bindgen_version"
fi

if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing npm packages (Playwright, binaryen)"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

# Debian packages the tests need: Chromium for the browser tests, keepalived for the HA tests,
# OVN and Open vSwitch for the OVN driver's, haproxy for the rolling restart. RUNLEVEL=1 keeps the packages from starting their
# services: the tests start the daemons they need themselves, each in a directory of its own.
need_package() {
  local package=$1 binary=$2 why=$3
  [ -x "$binary" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's $package for $why"
    RUNLEVEL=1 apt-get install -y -q "$package" >/dev/null \
      || { apt-get update -q >/dev/null && RUNLEVEL=1 apt-get install -y -q "$package" >/dev/null; }
  else
    fail "$why need $binary: run 'sudo apt-get install -y $package' (this script installs it only as root)"
  fi
}
# cargo-deb makes the Debian package (`make package`, and its test in `make test`).
cargo_deb_version=3.8.0
if [ "$want_tests" = "--tests" ] || [ "$want_tests" = "--package" ]; then
  if [ "$(cargo deb --version 2>/dev/null | awk '{print $2}')" != "$cargo_deb_version" ]; then
    say "installing cargo-deb $cargo_deb_version (a minute, once)"
    cargo install cargo-deb --locked --version "$cargo_deb_version"
  fi
fi

if [ "$want_tests" = "--tests" ]; then
  need_package chromium /usr/bin/chromium "the browser tests"
  need_package keepalived /usr/sbin/keepalived "the HA tests"
  need_package ovn-central /usr/bin/ovn-northd "the OVN driver's tests"
  need_package ovn-host /usr/bin/ovn-controller "the OVN driver's tests"
  need_package openvswitch-switch /usr/sbin/ovs-vswitchd "the OVN driver's tests"
  need_package openssl /usr/bin/openssl "the OVN driver's TLS test"
  need_package iputils-ping /usr/bin/ping "the OVN proof's client"
  need_package haproxy /usr/sbin/haproxy "the rolling restart test"
  need_package adduser /usr/sbin/adduser "the package test (the package depends on it)"
  need_package systemd /usr/bin/systemd-analyze "the package test (systemd-analyze verify)"
fi
