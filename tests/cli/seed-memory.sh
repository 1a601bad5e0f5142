#!/usr/bin/env bash
# dm-seed's memory for a large file is bounded by its part buffers, not by the
# file: a 600 MiB file uploads in well under 96 MiB of peak RSS.
#
# Why a resource bound in a test (tests check behaviour, not speed): the bound
# is a promise of the README (at most PART_MEMORY of part buffers, 40 MiB with
# the default 8 MiB parts), and it is robust.  The figure is ru_maxrss of the
# process, which does not depend on the machine's load or speed; the file is
# sparse (its zeros cost no disk and are read from no device); and the limit
# sits between what dm-seed takes (about 57 MiB: 5 buffers of 8 MiB plus
# about 17 MiB of code, libraries and threads) and what the former pool of 16
# buffers took (145 MiB), with room for a libc or libcurl that takes more.
# It is registered in the plain build only: a sanitizer build's shadow memory
# and quarantine are no figure of dm-seed's.
. "$(dirname "$0")/seed-lib.sh"

b=$(new_bucket mem)
src="$TMP/src"
mkdir -p "$src"
truncate -s $((600 << 20)) "$src/big.bin"

# peak RSS of dm-seed alone, in KiB (wait4's rusage of the child)
python3 - "$TMP/rss" "$SEED" -q --no-progress "$src" "dmtest/$b/m" <<'PY' >"$TMP/out" 2>"$TMP/err" ||
import os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, st, ru = os.wait4(pid, 0)
open(sys.argv[1], "w").write("%d\n" % ru.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(st))
PY
  { cat "$TMP/err"; fail "dm-seed could not upload the 600 MiB file"; }

# the object is right: size and the ETag of 8 MiB parts (Python's hashlib)
want=$(multipart_etag "$src/big.bin" $((8 << 20)))
got=$(s3cli s3api head-object --bucket "$b" --key m/big.bin --query '[ContentLength, ETag]' --output text | tr -d '"')
[ "$got" = "$((600 << 20))	$want" ] || fail "object m/big.bin: got '$got', want '$((600 << 20))	$want'"
pass "600 MiB sparse file uploaded, ETag $want"

# the fixture's server keeps objects in RAM: give the space back (before the
# bound is checked, so a failing run leaves nothing behind either)
s3cli s3 rm --recursive --quiet "s3://$b/" >/dev/null
s3cli s3api delete-bucket --bucket "$b" >/dev/null

rss=$(cat "$TMP/rss")
echo "figures: peak RSS $((rss / 1024)) MiB for a 600 MiB file (limit 96 MiB)"
[ "$rss" -lt $((96 * 1024)) ] || fail "peak RSS $((rss / 1024)) MiB for a 600 MiB file, limit 96 MiB"
pass "peak RSS $((rss / 1024)) MiB < 96 MiB"
