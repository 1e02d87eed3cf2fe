#!/usr/bin/env bash
# Checks the Debian packages the build made (packaging/CMakeLists.txt), one aspect per ctest entry:
#   package_test.sh CHECK HOST_DEB DEV_DEB SOURCE_DIR
# CHECK: contents | sdk | lintian | unit | scripts. Exit 0 pass, 1 fail, 77 skipped (with why).
set -euo pipefail
check=$1
host_deb=$2
dev_deb=$3
source_dir=$4

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
for deb in "$host_deb" "$dev_deb"; do
  [ -f "$deb" ] || fail "$deb is missing: build the 'packages' target (cmake --build build --target packages)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/forgelink-package-test-XXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"
dpkg-deb -x "$host_deb" "$root"
dpkg-deb -x "$dev_deb" "$root"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
bin="$root/usr/bin/forgelink"
# The unpacked host must never pick up the build tree's or the system's files: a clean environment.
run() { env -i PATH=/usr/bin:/bin HOME="$work" LANG=C.UTF-8 "$@"; }

case "$check" in
contents)
  # FHS layout.
  for path in usr/bin/forgelink \
              "usr/lib/$multiarch/forgelink/plugins/libforgelink_gitlab.so" \
              "usr/lib/$multiarch/forgelink/plugins/libforgelink_github.so" \
              usr/share/forgelink/console/index.html \
              etc/forgelink/forgelink.yaml lib/systemd/system/forgelink.service \
              usr/share/man/man1/forgelink.1.gz usr/share/man/man1/forgelink-serve.1.gz \
              usr/share/doc/forgelink/copyright usr/share/doc/forgelink/changelog.gz \
              usr/include/forgelink/plugin.hpp "usr/lib/$multiarch/cmake/Forgelink/ForgelinkConfig.cmake" \
              usr/share/doc/forgelink-dev/copyright; do
    [ -e "$root/$path" ] || fail "/$path is not in the packages"
  done
  # Headers and the CMake package are forgelink-dev's, not forgelink's.
  if dpkg-deb -c "$host_deb" | grep -q 'usr/include/'; then fail "forgelink ships headers"; fi
  if dpkg-deb -c "$dev_deb" | grep -q 'usr/bin/'; then fail "forgelink-dev ships programs"; fi

  # One version: the package's is the binary's.
  version=$(dpkg-deb -f "$host_deb" Version)
  [ "$(dpkg-deb -f "$dev_deb" Version)" = "$version" ] || fail "forgelink-dev's version differs from forgelink's"
  out=$(run "$bin" --version)
  case "$out" in "forgelink $version "*) ;; *) fail "packaged forgelink --version says '$out', the package $version";; esac

  # Dependencies computed by dpkg-shlibdeps from the binaries (libc6, libsodium, yaml-cpp, libpq...), plus adduser.
  depends=$(dpkg-deb -f "$host_deb" Depends)
  for dep in libc6 libsodium23 libyaml-cpp0.7 libsqlite3-0 libpq5 libssl3 libsystemd0 adduser; do
    case "$depends" in *"$dep"*) ;; *) fail "Depends lacks $dep (dpkg-shlibdeps): $depends";; esac
  done
  # cpprestsdk is gone (the HTTP client is Boost.Beast since issue 22): nothing may pull it back in.
  case "$depends" in *cpprest*) fail "Depends still names cpprestsdk: $depends";; esac
  case "$(dpkg-deb -f "$dev_deb" Depends)" in *"forgelink (= $version)"*) ;; *) fail "forgelink-dev must depend on forgelink (= $version)";; esac
  dpkg-deb --ctrl-tarfile "$host_deb" | tar -xO ./conffiles | grep -qx /etc/forgelink/forgelink.yaml \
    || fail "/etc/forgelink/forgelink.yaml is not a conffile"

  # Both plugins found with no configuration at all, from where the package put them.
  json=$(run "$bin" plugins --json)
  for name in gitlab github; do
    echo "$json" | grep -q "\"name\": *\"$name\"" || fail "forgelink plugins did not find $name: $json"
  done
  echo "$json" | grep -q "\"refused\": *\[\]" || fail "a packaged plugin was refused: $json"
  echo "$json" | grep -q "$root/usr/lib/$multiarch/forgelink/plugins" || fail "plugins not searched in lib/$multiarch: $json"

  # The packaged configuration is valid as shipped.
  run "$bin" config check --config "$root/etc/forgelink/forgelink.yaml" || fail "the packaged configuration is invalid"

  # One man page per command of `forgelink --help`, each the command's own help.
  commands=$(run "$bin" --help | sed -n '/^Commands:$/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\( [a-z][a-z-]*\)\?\)  .*/\1/p')
  [ -n "$commands" ] || fail "no commands in forgelink --help"
  while read -r command; do
    page="$root/usr/share/man/man1/forgelink-${command// /-}.1.gz"
    [ -f "$page" ] || fail "no man page for 'forgelink $command' ($page)"
    # shellcheck disable=SC2086
    first_option=$(run "$bin" $command --help | sed -n 's/^  \(-[a-z], \)\?\(-[-a-z]*\).*/\2/p' | head -1)
    if [ -n "$first_option" ]; then
      zcat "$page" | grep -q -- "$first_option" || fail "forgelink-${command// /-}(1) lacks $first_option"
    fi
  done <<<"$commands"
  zcat "$root/usr/share/man/man1/forgelink-serve.1.gz" | grep -q -- "--log-format" || fail "forgelink-serve(1) lacks --log-format"
  echo "ok: layout, version $version, dependencies, plugins, configuration, man pages"
  ;;

sdk)
  # A third party's plugin, built against the unpacked forgelink-dev only, loaded by the packaged host.
  cmake -S "$source_dir/tests/sdk/out_of_tree_plugin" -B "$work/build" -G "${GENERATOR:-Ninja}" \
        -DCMAKE_PREFIX_PATH="$root/usr" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$work/configure.log" 2>&1 \
    || { cat "$work/configure.log"; fail "configuring a plugin against forgelink-dev"; }
  grep -q "$root/usr/lib/$multiarch/cmake/Forgelink" "$work/build/CMakeCache.txt" \
    || fail "the plugin did not find Forgelink in the unpacked forgelink-dev"
  cmake --build "$work/build" --parallel 2 >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "building the plugin"; }
  json=$(run "$bin" plugins --plugin-path "$work/build" --json)
  echo "$json" | grep -q '"name": *"out-of-tree-hello"' || fail "the packaged host did not load the plugin: $json"
  echo "ok: an out-of-tree plugin built against forgelink-dev loads in the packaged host"
  ;;

lintian)
  command -v lintian >/dev/null || fail "lintian is not installed (scripts/setup installs it)"
  # No error (E:) on either package; warnings are printed for the record.
  set +e
  report=$(lintian --tag-display-limit 0 "$host_deb" "$dev_deb" 2>&1)
  set -e
  echo "$report"
  if echo "$report" | grep -q '^E: '; then fail "lintian reports errors"; fi
  echo "ok: lintian reports no error"
  ;;

unit)
  unit="$root/lib/systemd/system/forgelink.service"
  grep -qx 'ExecStart=/usr/bin/forgelink serve --config /etc/forgelink/forgelink.yaml' "$unit" \
    || fail "ExecStart is not the packaged binary on the packaged configuration"
  # verify: syntax, that ExecStart's and ExecReload's programs exist, and that the man pages of
  # Documentation= exist (man, through MANPATH). The programs are the unpacked ones: a copy of the
  # unit points at them (systemd-analyze --root wants a whole system in the root).
  mkdir -p "$work/unit"
  sed "s|/usr/bin/forgelink|$root/usr/bin/forgelink|" "$unit" >"$work/unit/forgelink.service"
  (cd "$work" && MANPATH="$root/usr/share/man" SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$work/unit/forgelink.service") \
    || fail "systemd-analyze verify"
  grep -qx 'Type=notify' "$unit" || fail "the unit is not Type=notify"
  grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" || fail "the unit has no ExecReload with SIGHUP"
  # security: the exposure score stays at or below 2.0 ("OK"); README gives the figure.
  report=$(systemd-analyze security --offline=true --threshold=20 --no-pager "$unit" 2>&1) \
    || { echo "$report"; fail "systemd-analyze security: exposure above 2.0"; }
  echo "$report" | tail -1
  ;;

scripts)
  # The maintainer scripts on this machine, inside a private mount namespace where /etc/passwd &co,
  # /var/lib and /etc/forgelink are throwaway copies: nothing of the real system changes.
  [ "$(id -u)" = 0 ] || skip "needs root (a mount namespace)"
  unshare -m true 2>/dev/null || skip "no mount namespaces here (unshare -m)"
  command -v adduser >/dev/null || skip "adduser is not installed"
  ctrl="$work/control"
  mkdir -p "$ctrl"
  dpkg-deb -e "$host_deb" "$ctrl"
  cat >"$work/inside.sh" <<'INSIDE'
set -euo pipefail
work=$1; root=$2; ctrl=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir -p "$work/bin"
# A copy of /etc (adduser renames files in it, which a bind-mounted single file would refuse).
cp -a /etc "$work/etc" && mount --bind "$work/etc" /etc
mount -t tmpfs tmpfs /var/lib  # dpkg's own database is not touched either
# What dpkg unpacks before postinst runs: the conffile.
mkdir -p /etc/forgelink && cp "$root/etc/forgelink/forgelink.yaml" /etc/forgelink/
# The package's forgelink first in PATH, as if installed; deb-systemd-helper/-invoke would touch
# the real systemd state: stand-ins that do nothing.
ln -s "$root/usr/bin/forgelink" "$work/bin/forgelink"
printf '#!/bin/sh\nexit 0\n' >"$work/bin/deb-systemd-helper"; chmod +x "$work/bin/deb-systemd-helper"
cp "$work/bin/deb-systemd-helper" "$work/bin/deb-systemd-invoke"
export PATH="$work/bin:$PATH"
getent passwd forgelink >/dev/null && fail "a forgelink user exists before the test"

"$ctrl/postinst" configure "" >"$work/first.txt"
getent passwd forgelink >/dev/null || fail "postinst did not create the forgelink user"
[ "$(stat -c '%U %a' /var/lib/forgelink)" = "forgelink 700" ] || fail "/var/lib/forgelink: $(stat -c '%U %a' /var/lib/forgelink)"
for f in secret.key admin-tokens; do
  [ "$(stat -c '%U %a' /var/lib/forgelink/$f)" = "forgelink 600" ] || fail "$f: $(stat -c '%U %a' /var/lib/forgelink/$f)"
done
grep -Eqx '[0-9a-f]{64}' /var/lib/forgelink/admin-tokens || fail "the admin token is not 64 hex digits"
grep -q "admin API token in /var/lib/forgelink/admin-tokens" "$work/first.txt" || fail "postinst did not say where the token is"
grep -q "$(cat /var/lib/forgelink/admin-tokens)" "$work/first.txt" && fail "postinst printed the token itself"
key=$(sha256sum /var/lib/forgelink/secret.key); token=$(sha256sum /var/lib/forgelink/admin-tokens)

# An upgrade (configure with the old version) keeps both, and says nothing about creating them.
"$ctrl/postinst" configure 0.0.9 >"$work/upgrade.txt"
[ "$(sha256sum /var/lib/forgelink/secret.key)" = "$key" ] || fail "the upgrade replaced the secret key"
[ "$(sha256sum /var/lib/forgelink/admin-tokens)" = "$token" ] || fail "the upgrade replaced the admin token"
grep -q created "$work/upgrade.txt" && fail "the upgrade says it created something: $(cat "$work/upgrade.txt")"

# The packaged host starts on the packaged configuration with what postinst made: keygen's key opens.
forgelink config check --config "$root/etc/forgelink/forgelink.yaml" >/dev/null

"$ctrl/prerm" remove
"$ctrl/postrm" remove
[ -e /var/lib/forgelink/secret.key ] || fail "remove (without purge) deleted the state"
"$ctrl/postrm" purge
[ -e /var/lib/forgelink ] && fail "purge left /var/lib/forgelink"
[ -e /etc/forgelink ] && fail "purge left /etc/forgelink"
getent passwd forgelink >/dev/null && fail "purge left the forgelink user"
echo "ok: user, key and token once, kept on upgrade, purge removes everything"
INSIDE
  unshare -m bash "$work/inside.sh" "$work" "$root" "$ctrl"
  ;;

*)
  fail "unknown check '$check'"
  ;;
esac
