/* fuzz_alias: S3 aliases - the MC_HOST_* URL parser (dm_alias_parse_url), the
 * alias file and the MinIO client's config.json as dm_alias_resolve reads
 * them, and the alias file round trip (dm_alias_save, then resolve).
 *
 * Input: the first byte picks the reader, the rest is the text:
 *   0: an MC_HOST_ URL          1: the alias file (YAML)        2: config.json
 * For 0, a URL that parses is saved to an alias file and resolved again: the
 * alias read back must equal the one saved (url, keys, token, region). */
#include <dm/alias.h>
#include <dm/err.h>
#include <dm/log.h>

#include "fuzz_common.h"

static char aliases[512], mcdir[512], mcconfig[600];

static void setup(void)
{
	if (aliases[0])
		return;
	snprintf(aliases, sizeof(aliases), "%s/aliases.yaml", fuzz_dir());
	snprintf(mcdir, sizeof(mcdir), "%s/mc", fuzz_dir());
	snprintf(mcconfig, sizeof(mcconfig), "%s/config.json", mcdir);
	fuzz_mkdir(mcdir);
	setenv("DM_ALIASES", aliases, 1);
	setenv("MC_CONFIG_DIR", mcdir, 1);
	unsetenv("MC_HOST_minio");
	unsetenv("AWS_REGION");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
}

static void check_alias(const dm_alias *a)
{
	FUZZ_CHECK(a->name && a->url && a->access_key && a->secret_key && a->region, "alias with a NULL field");
	FUZZ_CHECK(strncmp(a->url, "http://", 7) == 0 || strncmp(a->url, "https://", 8) == 0, "url '%s'", a->url);
	FUZZ_CHECK(a->url[strlen(a->url) - 1] != '/', "url '%s' ends with '/'", a->url);
	FUZZ_CHECK(a->region[0] != '\0', "empty region");
}

#ifndef FUZZ_ALIAS_NO_ROUND_TRIP /* to explore past a known round-trip finding */
static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void round_trip(const dm_alias *a)
{
	dm_alias *b = NULL;
	dm_err e;

	unlink(aliases);
	e = dm_alias_save(aliases, a);
	if (e != DM_OK) {
		dm_err_clear();
		return;
	}
	e = dm_alias_resolve(&b, "minio");
	FUZZ_CHECK(e == DM_OK, "saved alias does not resolve: %s", dm_err_detail());
	check_alias(b);
	FUZZ_CHECK(same(a->url, b->url), "url '%s' came back as '%s'", a->url, b->url);
	FUZZ_CHECK(same(a->access_key, b->access_key), "access key changed on the way through the file");
	FUZZ_CHECK(same(a->secret_key, b->secret_key), "secret key changed on the way through the file");
	FUZZ_CHECK(same(a->session_token, b->session_token), "session token changed on the way through the file");
	FUZZ_CHECK(same(a->region, b->region), "region '%s' came back as '%s'", a->region, b->region);
	dm_alias_free(b);
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_alias *a = NULL;
	char *text;
	dm_err e;

	if (size < 1)
		return 0;
	setup();
	text = fuzz_strndup(data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		unlink(mcconfig);
		e = dm_alias_parse_url(&a, "minio", text);
		if (e == DM_OK) {
			check_alias(a);
#ifndef FUZZ_ALIAS_NO_ROUND_TRIP /* to explore past a known round-trip finding */
			round_trip(a);
#endif
		}
		break;
	case 1:
		unlink(mcconfig);
		fuzz_write_file(aliases, data + 1, size - 1);
		e = dm_alias_resolve(&a, "minio");
		break;
	default:
		unlink(aliases);
		fuzz_write_file(mcconfig, data + 1, size - 1);
		e = dm_alias_resolve(&a, "minio");
		break;
	}
	if (e == DM_OK) {
		FUZZ_CHECK(a != NULL, "ok without an alias");
		check_alias(a);
	} else {
		FUZZ_CHECK(a == NULL, "failure left an alias");
		FUZZ_CHECK(dm_err_detail()[0] != '\0', "failure (%d) without a detail", (int)e);
	}
	dm_alias_free(a);
	free(text);
	dm_err_clear();
	/* the redactor keeps every key it was given: start each input afresh */
	dm_log_forget_secrets();
	return 0;
}
