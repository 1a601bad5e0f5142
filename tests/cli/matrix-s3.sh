#!/usr/bin/env bash
# The bad-input matrix, dm-seed against the real RGW of the fixture "s3" (IDs R..): wrong keys,
# names S3 cannot take, symlink loops, unreadable files, bucket mode refusals.  Each case also
# reads the bucket back with curl's own SigV4 signer (an independent client): only the good
# files landed, or nothing at all.  See matrix-lib.sh.
# shellcheck disable=SC1091
. "$DM_SOURCE_DIR/tests/cli/matrix-lib.sh"
# shellcheck disable=SC1091
. "$DM_TEST_WORK/s3/env"
mx_placeholder "$DM_TEST_S3_ENDPOINT" "<s3>"
hostport=${DM_TEST_S3_ENDPOINT#http://}
export MC_HOST_mx=$MC_HOST_dmtest
run_id=$$-$RANDOM

# shellcheck source=s3-client.sh
. "$DM_SOURCE_DIR/tests/cli/s3-client.sh"   # s3cli, s3curl, keys_in
no_bucket() { [ "$(s3curl "/$1" -o /dev/null -w '%{http_code}' -I)" = 404 ]; }
# tree NAME: a source folder with one good file; the case adds the bad one
tree() { rm -rf "$T/$1"; mkdir -p "$T/$1"; echo good >"$T/$1/good.txt"; echo "$T/$1"; }

b=mx-auth-$run_id
mx_placeholder "$b" "<bucket>"
export MC_HOST_bad="http://$DM_TEST_S3_ACCESS_KEY:mx-wrong-secret-0004@$hostport"
mx R01 dm-seed 1 "wrong secret key" \
  "dm-seed: error: authentication failed for alias 'bad' (SignatureDoesNotMatch)" \
  -- --no-progress "$(tree auth)" "bad/$b"
check no_bucket "$b" "R01: no bucket created"
check not grep -q mx-wrong-secret-0004 "$T/err" "R01: the secret is not shown"

b=mx-utf8-$run_id
mx_placeholder "$b" "<bucket>"
src=$(tree utf8); echo bad >"$src/$(printf 'bad\xff.txt')"
mx R02 dm-seed 4 "file name not valid UTF-8" \
  "dm-seed: error: '<tmp>/utf8/bad\xff.txt': name is not valid UTF-8: S3 keys must be UTF-8" partial -- --no-progress "$src" "mx/$b"
check [ "$(keys_in "$b")" = good.txt ] "R02: only good.txt landed"

b=mx-long-$run_id
mx_placeholder "$b" "<bucket>"
src=$(tree long); long=$src
for _ in 1 2 3 4 5; do long="$long/$(printf 'd%.0s' $(seq 1 220))"; done
mkdir -p "$long"; echo deep >"$long/deep.txt"
mx_placeholder "${long#"$src"/}" "<5 folders of 220 bytes>"
mx R03 dm-seed 4 "key over 1024 bytes" \
  "dm-seed: error: '<tmp>/long/<5 folders of 220 bytes>/deep.txt': key is 1113 bytes long, over S3's limit of 1024" \
  partial -- --no-progress "$src" "mx/$b"
check [ "$(keys_in "$b")" = good.txt ] "R03: only good.txt landed"

b=mx-loop-$run_id
mx_placeholder "$b" "<bucket>"
src=$(tree loop); mkdir -p "$src/sub"; ln -s .. "$src/sub/up"
mx R04 dm-seed 4 "symlink loop in the tree" "dm-seed: error: '<tmp>/loop/sub/up': symlink loop: the folder contains itself" \
  partial -- --no-progress "$src" "mx/$b"
check [ "$(keys_in "$b")" = good.txt ] "R04: only good.txt landed"

b=mx-unread-$run_id
mx_placeholder "$b" "<bucket>"
src=$(tree unread); echo locked >"$src/locked.txt"; chmod -R a+rX "$src"; chmod 000 "$src/locked.txt"
[ "$(id -u)" = 0 ] && MX_RUN=(setpriv --reuid=65534 --regid=65534 --clear-groups)
mx R05 dm-seed 4 "unreadable file (mode 000)" "dm-seed: error: '<tmp>/unread/locked.txt': cannot read: Permission denied" \
  partial -- --no-progress "$src" "mx/$b"
MX_RUN=()
check [ "$(keys_in "$b")" = good.txt ] "R05: only good.txt landed"

b=mx-top-$run_id
mx_placeholder "$b" "<bucket>"
rm -rf "$T/bm"; mkdir -p "$T/bm/$b"; echo x >"$T/bm/$b/x.txt"; echo y >"$T/bm/README.md"
mx R06 dm-seed 1 "bucket mode: a file at the top level" \
  "dm-seed: error: '<tmp>/bm/README.md' is a file at the top level of '<tmp>/bm': in bucket mode each top-level entry must be a folder (it becomes a bucket); move it into a folder or name a bucket (ALIAS/BUCKET)" \
  -- --no-progress "$T/bm" mx
check no_bucket "$b" "R06: no bucket created before the refusal"

rm "$T/bm/README.md"; mkdir "$T/bm/Bad_Name"; echo z >"$T/bm/Bad_Name/z.txt"
mx R07 dm-seed 1 "bucket mode: a folder that cannot be a bucket" \
  "dm-seed: error: folder '<tmp>/bm/Bad_Name' cannot become a bucket: invalid bucket name 'Bad_Name': only lower-case letters, digits, '.' and '-' are allowed" \
  -- --no-progress "$T/bm" mx
check no_bucket "$b" "R07: no bucket created before the refusal"

# an upload left open by a run that was killed (SIGKILL: nothing could clean up), played here by
# starting one with the AWS CLI: the next run that uploads the key aborts it and says so
b=mx-orphan-$run_id
mx_placeholder "$b" "<bucket>"
src=$(tree orphan)
s3cli s3api create-bucket --bucket "$b" >/dev/null
s3cli s3api create-multipart-upload --bucket "$b" --key good.txt >/dev/null
when=$(s3cli s3api list-multipart-uploads --bucket "$b" --query 'Uploads[0].Initiated' --output text |
  python3 -c 'import sys,datetime; t=datetime.datetime.fromisoformat(sys.stdin.read().strip()); print(t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))')
mx_placeholder "$when" "<time>"
mx R08 dm-seed 0 "an unfinished multipart upload of a key the run uploads (left by a killed run)" \
  "dm-seed: warning: '<bucket>/good.txt': aborted an unfinished multipart upload started <time>" \
  warning -- --no-progress "$src" "mx/$b"
check [ "$(s3cli s3api list-multipart-uploads --bucket "$b" --query 'length(Uploads || `[]`)' --output text)" = 0 ] \
  "R08: no unfinished upload left"
check [ "$(keys_in "$b")" = good.txt ] "R08: good.txt landed"

mx_finish R
