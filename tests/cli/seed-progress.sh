#!/usr/bin/env bash
# dm-seed's progress line on a terminal (a pseudo-TTY from script(1)), against the real RGW:
# bytes done of the total, %, the rate, the ETA, the files, the requests in flight and the time
# elapsed; a multipart file's bytes advance in steps smaller than the file; no line when stderr
# is no terminal, nor with -q or --no-progress.
. "$(dirname "$0")/seed-lib.sh"
command -v script >/dev/null || fail "script(1) not found (bsdutils)"

src="$TMP/src"
mkdir -p "$src"
# 13 parts of 5 MiB, 2 at a time; named to come last in the walk, which ends while it goes
head -c $((64 << 20)) /dev/urandom >"$src/z-big.bin"
for i in $(seq 1 12); do echo "small $i" >"$src/s$i.txt"; done
b=$(new_bucket progress)

# on_tty FILE ARGS...: dm-seed ARGS on a pseudo-terminal, what it wrote there into FILE
on_tty() {
  local file=$1 cmd
  shift
  printf -v cmd '%q ' "$SEED" "$@"
  script -qec "$cmd" /dev/null >"$file" </dev/null || fail "dm-seed on a terminal: $(tr '\r' '\n' <"$file" | tail -5)"
}
on_tty "$TMP/tty" -j 2 --part-size 5MiB --multipart-threshold 5MiB "$src" "dmtest/$b"
tr '\r' '\n' <"$TMP/tty" | sed 's/\x1b\[K//g' >"$TMP/lines"
python3 - "$TMP/lines" $((64 << 20)) <<'PY' || fail "progress lines: $(tail -20 "$TMP/lines")"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
size = int(sys.argv[2])
unit = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
pat = re.compile(r"^([\d.]+) (\S+) / ([\d.]+) (\S+?)(\+?), (?:\s*(\d+)%, )?([\d.]+) (\S+)/s, ETA (\S+), "
                 r"(\d+)/(\d+)\+? files, (\d+) in flight, (\S+) elapsed$")
prog = [m for m in map(pat.match, lines) if m]
assert len(prog) >= 3, f"{len(prog)} progress lines"
final = [m for m in prog if not m.group(5)]
assert final, "no line after the walk (total without '+')"
assert all(m.group(6) is not None for m in final), "no % after the walk"
assert any(m.group(9) != "-" for m in final), "no ETA after the walk"
assert any(int(m.group(12)) > 0 for m in prog), "never a request in flight"
total = float(final[-1].group(3)) * unit[final[-1].group(4)]
assert abs(total - (size + sum(len(f"small {i}\n") for i in range(1, 13)))) < 0.1 * (1 << 20), total
done = sorted({round(float(m.group(1)) * unit[m.group(2)]) for m in prog})
mid = [d for d in done if 0 < d < size]
assert mid, f"bytes never between 0 and the file's size: {done}"
steps = [b - a for a, b in zip(done, done[1:])]
assert max(steps) < size, f"a step as large as the file: {steps}"
print(f"ok: {len(prog)} progress lines, {len(mid)} byte counts inside the 64 MiB file, largest step {max(steps)} B")
PY
grep -q "dm-seed: 13 uploaded, 0 skipped, 0 failed" "$TMP/lines" || fail "summary: $(tail -3 "$TMP/lines")"
pass "on a terminal: bytes, %, rate, ETA, files, in flight, elapsed; the multipart file advances part by part"

# no terminal, -q, --no-progress: no progress line
echo changed >"$src/s1.txt"
run_rc 0 "$SEED" -j 2 --part-size 5MiB --multipart-threshold 5MiB "$src" "dmtest/$b"
grep -q 'in flight' "$TMP/err" && fail "a progress line without a terminal: $(cat "$TMP/err")"
for opt in -q --no-progress; do
  echo "changed $opt" >"$src/s1.txt"
  on_tty "$TMP/tty" "$opt" -j 2 "$src" "dmtest/$b"
  grep -q 'in flight' "$TMP/tty" && fail "a progress line with $opt: $(cat "$TMP/tty")"
done
pass "no progress line without a terminal, nor with -q or --no-progress"
echo "seed-progress: all passed"
