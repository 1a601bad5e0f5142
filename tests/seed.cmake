# dm-seed integration tests against the real RGW (fixture s3).
set(DM_CLI ${CMAKE_CURRENT_SOURCE_DIR}/cli)
dm_cli_test(seed_core ${DM_CLI}/seed-core.sh FIXTURES s3 TIMEOUT 600)
dm_cli_test(seed_errors ${DM_CLI}/seed-errors.sh FIXTURES s3 TIMEOUT 300)
dm_cli_test(seed_options ${DM_CLI}/seed-options.sh FIXTURES s3 TIMEOUT 600)
dm_cli_test(seed_shard ${DM_CLI}/seed-shard.sh FIXTURES s3 TIMEOUT 600)
dm_cli_test(seed_buckets ${DM_CLI}/seed-buckets.sh FIXTURES s3 TIMEOUT 300)
# a multipart upload left by a killed run: reported, and aborted by the next run of its key
dm_cli_test(seed_orphans ${DM_CLI}/seed-orphans.sh FIXTURES s3 TIMEOUT 300)
dm_cli_test(seed_job ${DM_CLI}/seed-job.sh FIXTURES s3 TIMEOUT 600)
# Content-MD5 on every request, ETag confirmation, --verify by content, part counts
dm_cli_test(seed_integrity ${DM_CLI}/seed-integrity.sh FIXTURES s3 TIMEOUT 600)
# an object over 5 GiB on a server of its own (7 GiB of RAM for the OSD)
# (plain build only: under the sanitizers it took 5 minutes of make check for the same code
# paths that seed_core, seed_integrity and hard_corrupt run there with multipart files)
if(NOT DM_SANITIZE)
  dm_cli_test(seed_huge ${DM_CLI}/seed-huge.sh FIXTURES s3 LABELS integration slow TIMEOUT 900)
endif()
# --delete's guard (--max-delete): a mistaken target deletes nothing; the dry run's summary
dm_cli_test(seed_max_delete ${DM_CLI}/seed-max-delete.sh FIXTURES s3 TIMEOUT 300)
# Content-Type by extension (/etc/mime.types) or --content-type, single PUTs and multipart
dm_cli_test(seed_content_type ${DM_CLI}/seed-content-type.sh FIXTURES s3 TIMEOUT 300)
# s3://BUCKET/PREFIX (the alias s3) and a single file as SOURCE
dm_cli_test(seed_targets ${DM_CLI}/seed-targets.sh FIXTURES s3 TIMEOUT 300)
# the progress line on a pseudo-terminal (script(1)): its fields; a multipart file advances part by part
dm_cli_test(seed_progress ${DM_CLI}/seed-progress.sh FIXTURES s3 TIMEOUT 300)
# --ndjson: an event line a file, then the summary document on one line
dm_cli_test(seed_ndjson ${DM_CLI}/seed-ndjson.sh FIXTURES s3 TIMEOUT 300)
# a 600 MiB file in bounded memory: peak RSS below 96 MiB (plain build only: a sanitizer
# build's shadow memory is no figure of dm-seed's; the reason for a resource bound is in the script)
if(NOT DM_SANITIZE)
  dm_cli_test(seed_memory ${DM_CLI}/seed-memory.sh FIXTURES s3 TIMEOUT 600)
endif()
