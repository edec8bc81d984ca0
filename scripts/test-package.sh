#!/usr/bin/env bash
# The Debian package of `make package`: its contents and maintainer scripts (dpkg-deb), and, as
# root, the package installed: its user, directories and settings file, its unit passing
# `systemd-analyze verify`, and the installed layout serving the console when started with the
# unit's command lines, environment and user (not under systemd itself, so its sandboxing is
# checked by systemd-analyze only). Everything it
# installs it purges again. It packages the debug build `make test` made (`make package`
# packages the release build the same way).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "test-package: $*"; }
fail() { echo "test-package: FAILED: $*" >&2; exit 1; }

work=$(mktemp -d)
server_pid=
installed=
made_user=
made_policy=
cleanup() {
  set +e
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  [ -n "$installed" ] && dpkg --purge havip >/dev/null 2>&1
  [ -n "$made_user" ] && deluser --system --quiet havip >/dev/null 2>&1
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

deb=$work/havip.deb
# From the build `make test` made before its suites (building here would wait for theirs).
[ -x target/debug/havip ] && [ -f target/site/site-name ] || fail "build first: cargo build -p server; scripts/build-site.sh debug"
site=$(cat target/site/site-name)
cargo deb -p server --profile dev --no-build -o "$deb" --quiet 2>&1 >/dev/null \
  | grep -v -e 'are detected as Cargo target dir' -e 'Finished' || true
[ -f "$deb" ] || fail "cargo deb made no package"

# What the package holds.
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/bin/havip ./usr/lib/systemd/system/havip.service ./usr/share/havip/havip.env \
  ./usr/share/havip/site/favicon.svg ./usr/share/havip/site/site-name ./usr/share/doc/havip/copyright \
  ./usr/share/havip/site/pkg/"$site".{wasm,js,css} ./usr/share/havip/site/pkg/"$site".{wasm,js,css}.{br,gz}; do
  grep -qx -- "$path" <<<"$contents" || fail "$path is not in the package"
done
dpkg-deb -e "$deb" "$work/control"
grep -qx 'Package: havip' "$work/control/control" || fail "the package is not named havip"
grep -q '^Depends:.*adduser' "$work/control/control" || fail "the package does not depend on adduser"
for script in postinst postrm prerm; do
  [ -x "$work/control/$script" ] || fail "no $script"
  sh -n "$work/control/$script" || fail "$script is not valid sh"
done
grep -q 'adduser --system' "$work/control/postinst" || fail "postinst does not make the havip user"
grep -q 'deb-systemd-helper' "$work/control/postinst" || fail "postinst does not enable the unit"
grep -q 'deb-systemd-invoke stop' "$work/control/prerm" || fail "prerm does not stop the service"
grep -q 'rm -rf /etc/havip /var/lib/havip' "$work/control/postrm" || fail "postrm does not purge the settings and data"
say "contents and maintainer scripts: ok ($(wc -l <<<"$contents") entries)"

if [ "$(id -u)" != 0 ]; then
  say "not root: installing the package and starting it as its unit does were NOT tested (run as root)"
  exit 0
fi
dpkg -s havip >/dev/null 2>&1 && fail "a havip package is installed on this machine; the test would replace it"
getent passwd havip >/dev/null || made_user=yes

# Where systemd runs, installing would start the real service; Debian's policy-rc.d (which
# deb-systemd-invoke honours) keeps it stopped, so the test starts the server itself.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=yes
fi
installed=yes
dpkg -i "$deb" >/dev/null 2>&1 || fail "dpkg -i failed"
uid=$(id -u havip) || fail "no havip user after install"
[ "$uid" -lt 1000 ] || fail "havip is not a system user (uid $uid)"
[ "$(stat -c '%a %U:%G' /etc/havip/havip.env)" = "640 root:havip" ] || fail "/etc/havip/havip.env is $(stat -c '%a %U:%G' /etc/havip/havip.env)"
[ "$(stat -c '%U' /var/lib/havip)" = havip ] || fail "/var/lib/havip is not the havip user's"
unit=/usr/lib/systemd/system/havip.service
systemd-analyze verify "$unit" || fail "systemd-analyze verify $unit"
say "installed: user, directories, settings file, unit verified"

# Started as the unit starts it: its Environment= lines, then the settings file over them (as
# systemd reads them), its ExecStartPre and ExecStart, as its user, from /. The operator's
# settings file sets a free port and the first admin's password.
cat >>/etc/havip/havip.env <<'EOF'
HAVIP_LISTEN=127.0.0.1:0
HAVIP_ADMIN_PASSWORD=package-test-password
EOF
environment=()
while IFS= read -r line; do environment+=("$line"); done < <(sed -n 's/^Environment=//p' "$unit")
while IFS= read -r line; do environment+=("$line"); done < <(grep -E '^[A-Z_]+=' /etc/havip/havip.env)
[ "$(sed -n 's/^User=//p' "$unit")" = havip ] || fail "the unit does not run as havip"
pre=$(sed -n 's/^ExecStartPre=//p' "$unit")
start=$(sed -n 's/^ExecStart=//p' "$unit")
# setpriv and env exec the command in turn, so the server's process is the one started here
# in the background, the one the test signals.
as_unit=(setpriv --reuid=havip --regid=havip --init-groups env -i "${environment[@]}")
# shellcheck disable=SC2086 # the unit's command lines are split as systemd splits these
(cd / && exec "${as_unit[@]}" $pre) >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log"; fail "ExecStartPre ($pre) failed"; }
# shellcheck disable=SC2086
(cd / && exec "${as_unit[@]}" $start) >"$work/serve.log" 2>&1 &
server_pid=$!
base=
for _ in $(seq 300); do
  base=$(sed -n 's|^HAVIP Console is at \(http://[^/]*\)/havips.*|\1|p' "$work/serve.log")
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.log"; fail "ExecStart ($start) exited"; }
  sleep 0.1
done
[ -n "$base" ] || { cat "$work/serve.log"; fail "the server did not say where it listens"; }
status() { curl -s -o /dev/null -w '%{http_code}' "$base$1"; }
[ "$(status /readyz)" = 200 ] || fail "/readyz did not answer 200"
[ "$(status /login)" = 200 ] || fail "the login page did not answer 200"
[ "$(status "/pkg/$site.wasm")" = 200 ] || fail "the site's WebAssembly was not served from /usr/share/havip/site"
signed_in=$(curl -s -c "$work/cookies" -o "$work/login.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  -H "Origin: $base" --data '{"username":"admin","password":"package-test-password"}' "$base/api/fn/login")
[ "$signed_in" = 200 ] || fail "signing in as the first admin answered $signed_in: $(cat "$work/login.json")"
[ "$(curl -s -b "$work/cookies" -o /dev/null -w '%{http_code}' "$base/havips")" = 200 ] || fail "the signed-in list did not answer 200"
[ "$(stat -c '%U' /var/lib/havip/havip.db)" = havip ] || fail "the database is not in /var/lib/havip, the havip user's"
say "served at $base, started with the unit's command lines, environment and user: /readyz, the login page, the site, the first admin's sign-in and list: ok"

kill -TERM "$server_pid"
wait "$server_pid" || { tail -5 "$work/serve.log"; fail "the server did not stop cleanly on SIGTERM"; }
server_pid=
dpkg --purge havip >/dev/null
installed=
[ ! -e /etc/havip ] && [ ! -e /var/lib/havip ] && [ ! -e /usr/bin/havip ] || fail "purge left files behind"
say "purged: ok"
