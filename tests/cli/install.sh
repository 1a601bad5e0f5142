#!/usr/bin/env bash
# `cmake --install` of this build into a DESTDIR, and what a user or a packager then has:
#   - every path of cmake/install.cmake: the tools, libdm shared (with its soname links) and
#     static, every public header, dm.pc, a man page per tool and dm(7) with the version filled
#     in, bash and zsh completion, the platform content (identical to the source's) with its
#     .dm-platform marker, README and LICENSE;
#   - each installed tool run from a folder outside the repository (in $TMPDIR, with no
#     .dm-platform above it): --version says what the build's tool says, --help works;
#   - the installed platform content found as the platform root from there, by $DM_HOME and by
#     --root: dm-helm plan of its default flavour is the plan of the source's, and dm-seed
#     --k8s-job takes the Secret and endpoint of its minio component; with neither, the tools
#     look in the compiled-in share folder (this build's prefix) and say so;
#   - a program of one's own built with `pkg-config dm` against the installed headers, once
#     with libdm.so (run from the DESTDIR) and once with libdm.a (no libdm at run time).
# The environment gives the install paths of this build (tests/install.cmake).
set -u
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
W=$DM_TEST_WORK/install
rm -rf "$W"
mkdir -p "$W"
dest=$W/dest
# the build folder is inside the repository, whose .dm-platform the tools would find from there
out=$(mktemp -d "${TMPDIR:-/tmp}/dm-install-XXXXXX")
trap 'rm -rf "$out"' EXIT

DESTDIR=$dest "$DM_CMAKE" --install "$DM_BUILD_DIR" >"$W/install.log" 2>&1 ||
  { fail "cmake --install: exit $?"; tail -20 "$W/install.log"; exit 1; }

bin=$dest$DM_INSTALL_BINDIR lib=$dest$DM_INSTALL_LIBDIR inc=$dest$DM_INSTALL_INCLUDEDIR
man=$dest$DM_INSTALL_MANDIR share=$dest$DM_INSTALL_DATADIR/dm
tools=$(cd "$DM_SOURCE_DIR/tools" && for d in */; do [ "$d" = common/ ] || echo "${d%/}"; done)
ver=$(sed -nE 's/^project\(dm VERSION ([0-9.]+).*/\1/p' "$DM_SOURCE_DIR/CMakeLists.txt")
[ -n "$ver" ] || fail "no project version in CMakeLists.txt"

# --- the files
for tool in $tools; do
  [ -x "$bin/$tool" ] || fail "no $DM_INSTALL_BINDIR/$tool"
  page=$man/man1/$tool.1
  [ -f "$page" ] || fail "no man page $DM_INSTALL_MANDIR/man1/$tool.1"
  [ -f "$dest$DM_BASH_COMPLETION_DIR/$tool" ] || fail "no bash completion $DM_BASH_COMPLETION_DIR/$tool"
  [ -f "$dest$DM_ZSH_COMPLETION_DIR/_$tool" ] || fail "no zsh completion $DM_ZSH_COMPLETION_DIR/_$tool"
done
for page in "$man"/man1/*.1 "$man/man7/dm.7"; do
  [ -f "$page" ] || { fail "no man page $page"; continue; }
  grep -q '@[A-Z_]*@' "$page" && fail "$page: a placeholder is left: $(grep -o '@[A-Z_]*@' "$page" | head -1)"
  grep -q "^\.TH .*\"dm $ver\"" "$page" || fail "$page: no 'dm $ver' in its .TH line"
done
# the man pages as man shows them: found by name under the installed MANPATH
MANPATH=$man man -P cat dm-seed 2>/dev/null | grep -q 'dm-seed - upload' || fail "man dm-seed: not found under $man"
MANPATH=$man man -P cat 7 dm 2>/dev/null | grep -q 'THE PLATFORM' || fail "man 7 dm: not found under $man"

[ -f "$lib/libdm.a" ] || fail "no $DM_INSTALL_LIBDIR/libdm.a"
so=$(readlink "$lib/libdm.so")
[ -n "$so" ] && [ -f "$lib/$so" ] || fail "$DM_INSTALL_LIBDIR/libdm.so is no link to the library (-> '$so')"
soname=$(objdump -p "$lib/libdm.so" 2>/dev/null | awk '$1 == "SONAME" { print $2 }')
[ -n "$soname" ] && [ -e "$lib/$soname" ] || fail "libdm.so: soname '$soname' is not installed beside it"
for h in "$DM_SOURCE_DIR"/include/dm/*.h; do
  cmp -s "$h" "$inc/dm/$(basename "$h")" || fail "header dm/$(basename "$h") not installed as is"
done
[ -f "$lib/pkgconfig/dm.pc" ] || fail "no $DM_INSTALL_LIBDIR/pkgconfig/dm.pc"

for d in flavours components k8s helm-charts; do
  diff -r "$DM_SOURCE_DIR/$d" "$share/$d" >"$W/diff" 2>&1 ||
    { fail "the installed $d/ differs from the source's:"; head -5 "$W/diff"; }
done
[ -f "$share/.dm-platform" ] || fail "no marker $DM_INSTALL_DATADIR/dm/.dm-platform"
for f in LICENSE README.md; do
  cmp -s "$DM_SOURCE_DIR/$f" "$dest$DM_INSTALL_DOCDIR/$f" || fail "$f not installed in $DM_INSTALL_DOCDIR"
done

# --- the installed tools, run away from the source tree
cd "$out" || exit 1
for tool in $tools; do
  v=$("$bin/$tool" --version 2>&1) || fail "installed $tool --version: exit $?"
  [ "$v" = "$("$DM_BIN/$tool" --version 2>&1)" ] || fail "installed $tool --version says '$v'"
  [[ "$v" == "$tool $ver"* ]] || fail "installed $tool --version: '$v' (wanted '$tool $ver...')"
  "$bin/$tool" --help >"$W/help" 2>&1 || fail "installed $tool --help: exit $?"
  grep -q "^Usage: $tool" "$W/help" || fail "installed $tool --help: no usage"
done

# the installed platform as the root, by $DM_HOME and by --root: the plan of its default flavour
# is the source's, but for where the files are
(cd "$DM_SOURCE_DIR" && "$DM_BIN/dm-helm" plan) >"$W/plan.src" 2>&1 || fail "the build's dm-helm plan: exit $?"
sed "s|$DM_SOURCE_DIR|ROOT|g" "$W/plan.src" >"$W/plan.src.rel"
for how in DM_HOME --root; do
  if [ "$how" = DM_HOME ]; then
    DM_HOME=$share "$bin/dm-helm" plan >"$W/plan" 2>"$W/plan.err"
  else
    "$bin/dm-helm" --root "$share" plan >"$W/plan" 2>"$W/plan.err"
  fi
  rc=$?
  [ "$rc" = 0 ] || { fail "installed dm-helm plan ($how the share folder): exit $rc"; cat "$W/plan.err"; }
  grep -q "$share/components/" "$W/plan" || fail "installed dm-helm plan ($how): no file of $share/components"
  sed "s|$share|ROOT|g" "$W/plan" >"$W/plan.rel"
  diff "$W/plan.src.rel" "$W/plan.rel" >"$W/diff" ||
    { fail "installed dm-helm plan ($how): differs from the source's:"; head -10 "$W/diff"; }
done
DM_HOME=$share "$bin/dm-seed" --k8s-job 2 --pvc lake data s3/bucket >"$W/jobs" 2>"$W/jobs.err" ||
  { fail "installed dm-seed --k8s-job (DM_HOME): exit $?"; cat "$W/jobs.err"; }
grep -q 'name: "minio-credentials"' "$W/jobs" && grep -q 'minio.data-mill.svc.cluster.local:9000' "$W/jobs" ||
  fail "installed dm-seed --k8s-job (DM_HOME): not the Secret and endpoint of the installed minio component"
# with neither, the compiled-in share folder of this build's prefix: where this machine has no
# dm installed, the error names it; where it has, the plan is made of it
"$bin/dm-helm" plan >"$W/plan" 2>"$W/plan.err"
rc=$?
if [ -e "$DM_INSTALL_DATADIR/dm/.dm-platform" ]; then
  [ "$rc" = 0 ] && grep -q "$DM_INSTALL_DATADIR/dm/components/" "$W/plan" ||
    fail "installed dm-helm plan, no root given: exit $rc, no file of the installed $DM_INSTALL_DATADIR/dm"
else
  [ "$rc" = 3 ] && grep -qF "none installed in '$DM_INSTALL_DATADIR/dm'" "$W/plan.err" ||
    fail "installed dm-helm plan, no platform: exit $rc, '$(cat "$W/plan.err")' (wanted 3, bad configuration, and '$DM_INSTALL_DATADIR/dm' named)"
fi

# --- a program of one's own, against the installed headers and libraries
cat >"$W/prog.c" <<'EOF'
#include <stdio.h>
#include <string.h>
EOF
for h in "$inc"/dm/*.h; do echo "#include <dm/$(basename "$h")>" >>"$W/prog.c"; done
cat >>"$W/prog.c" <<'EOF'
int main(void)
{
	uint64_t n = 0;
	dm_yaml *doc = NULL;

	if (dm_parse_size("8MiB", &n) != DM_OK || n != 8388608)
		return 1;
	if (dm_yaml_load_string(&doc, "t", "a: 1\n", 5) != DM_OK)
		return 1;
	dm_yaml_free(doc);
	printf("%s %llu\n", dm_strerror(DM_OK), (unsigned long long)n);
	return 0;
}
EOF
pc() { PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$lib/pkgconfig pkg-config "$@" dm; }
pc --exists || fail "pkg-config does not find dm in $lib/pkgconfig"
[ "$(pc --modversion)" = "$ver" ] || fail "pkg-config --modversion dm: '$(pc --modversion)'"
cflags="-std=c11 -Wall -Wextra -Werror $DM_TEST_SANITIZE_FLAGS"
# shellcheck disable=SC2046
if "$DM_CC" $cflags "$W/prog.c" -o "$W/prog-shared" $(pc --cflags --libs) 2>"$W/cc.log"; then
  ldd "$W/prog-shared" | grep -q "libdm.so.* => $lib/" || LD_LIBRARY_PATH=$lib ldd "$W/prog-shared" |
    grep -q "libdm.so.* => $lib/" || fail "prog-shared does not load libdm.so from $lib"
  out=$(LD_LIBRARY_PATH=$lib "$W/prog-shared") || fail "prog-shared: exit $?"
  [[ "$out" == *" 8388608" ]] || fail "prog-shared said '$out'"
else
  fail "cc prog.c \$(pkg-config --cflags --libs dm):"; cat "$W/cc.log"
fi
# libdm.a with the shared libraries of the system: dm.pc's Requires and Requires.private (not
# `pkg-config --static`, which wants their static libraries too) and its Libs.private
deps=$(pc --print-requires --print-requires-private | awk '{ print $1 }')
private=$(sed -n 's/^Libs.private: //p' "$lib/pkgconfig/dm.pc")
# shellcheck disable=SC2046,SC2086
if "$DM_CC" $cflags "$W/prog.c" -o "$W/prog-static" $(pc --cflags) "$lib/libdm.a" \
  $(pkg-config --libs $deps) $private 2>"$W/cc.log"; then
  ldd "$W/prog-static" | grep -q libdm && fail "prog-static links libdm.so"
  out=$("$W/prog-static") || fail "prog-static: exit $?"
  [[ "$out" == *" 8388608" ]] || fail "prog-static said '$out'"
else
  fail "cc prog.c libdm.a \$(pkg-config --libs $deps) $private:"; cat "$W/cc.log"
fi

[ "$fails" = 0 ] && echo "install: $(echo $tools | wc -w) tools, libdm (.so, .a, dm.pc), headers, man pages, completion and the platform content in $dest"
[ "$fails" = 0 ] && rm -rf "$W"
[ "$fails" = 0 ]
