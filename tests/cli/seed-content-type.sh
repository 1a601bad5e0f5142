#!/usr/bin/env bash
# dm-seed's Content-Type against the real RGW: by the file's extension (/etc/mime.types), for
# single PUTs and multipart objects alike (the upload's start carries it), or --content-type for
# every object; read back with a HEAD by curl's own SigV4 (an independent client).
. "$(dirname "$0")/seed-lib.sh"

# head_type BUCKET KEY: the object's Content-Type as the server returns it
head_type() {
  s3curl "/$1/$2" -I --fail | tr -d '\r' | sed -n 's/^[Cc]ontent-[Tt]ype: //p'
}
head_etag() {
  s3curl "/$1/$2" -I --fail | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: "\(.*\)"$/\1/p'
}

src="$TMP/src"
mkdir -p "$src/sub"
echo 'a,b' >"$src/data.csv"
echo '# notes' >"$src/README.md"
echo '{}' >"$src/sub/x.json"
echo blob >"$src/blob.zzqq"
echo plain >"$src/noext"
head -c $((11 << 20)) /dev/urandom >"$src/big.CSV"   # multipart: 3 parts of 5 MiB
b=$(new_bucket ctype)
run_rc 0 "$SEED" --no-progress --multipart-threshold 5MiB --part-size 5MiB "$src" "dmtest/$b"
for kt in data.csv=text/csv README.md=text/markdown sub/x.json=application/json \
  blob.zzqq=application/octet-stream noext=application/octet-stream big.CSV=text/csv; do
  got=$(head_type "$b" "${kt%%=*}")
  [ "$got" = "${kt#*=}" ] || fail "${kt%%=*}: Content-Type '$got', want '${kt#*=}'"
done
case "$(head_etag "$b" big.CSV)" in *-3) ;; *) fail "big.CSV was not uploaded in 3 parts ($(head_etag "$b" big.CSV))" ;; esac
pass "by extension: .csv text/csv, .md text/markdown, .json, unknown and none application/octet-stream; the 3-part .CSV text/csv"

# --content-type: every object's, single and multipart
b2=$(new_bucket ctype2)
run_rc 0 "$SEED" --no-progress --multipart-threshold 5MiB --part-size 5MiB --content-type 'text/plain; charset=utf-8' "$src" "dmtest/$b2"
for k in data.csv README.md big.CSV noext; do
  got=$(head_type "$b2" "$k")
  [ "$got" = "text/plain; charset=utf-8" ] || fail "--content-type: $k has '$got'"
done
pass "--content-type: single PUTs and the multipart object"

for v in csv /csv text/ '' "$(printf 'text/csv\r\nX-Evil: 1')"; do
  run_rc 2 "$SEED" --no-progress --content-type "$v" "$src" "dmtest/$b2"
  grep -q "^dm-seed: error: --content-type: '.*' is not a media type" "$TMP/err" || fail "--content-type '$v': $(cat "$TMP/err")"
done
pass "--content-type that is no TYPE/SUBTYPE, or holds a CR/LF: exit 2"
echo "seed-content-type: all passed"
