/* tests/unit/test_alias.c - S3 aliases (dm/alias.h): MC_HOST_ URLs, the
 * resolution order (MC_HOST_<name> > alias file > mc config > AWS_* for "s3"),
 * and the alias file written 0600 atomically.  Every test runs in its own
 * temporary HOME with the environment cleared. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <dm/alias.h>
#include <dm/log.h>
#include <dm/util.h>
#include <dm/yaml.h>
#include "testutil.h"

static char home[256];
static char alias_file[512];
static char mc_dir[512];

static const char *const cleared[] = {
	"MC_HOST_lake",      "MC_HOST_s3",       "MC_HOST_other",     "DM_ALIASES",
	"XDG_CONFIG_HOME",   "MC_CONFIG_DIR",    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION",        "AWS_DEFAULT_REGION",
};

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cleared) / sizeof(cleared[0]); i++)
		unsetenv(cleared[i]);
	snprintf(home, sizeof(home), "%s/dm-test-alias-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(home))
		return -1;
	snprintf(alias_file, sizeof(alias_file), "%s/dm/aliases.yaml", home);
	snprintf(mc_dir, sizeof(mc_dir), "%s/mc", home);
	setenv("HOME", home, 1);
	setenv("DM_ALIASES", alias_file, 1);
	setenv("MC_CONFIG_DIR", mc_dir, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dm_log_forget_secrets();
	for (size_t i = 0; i < sizeof(cleared) / sizeof(cleared[0]); i++)
		unsetenv(cleared[i]);
	return dm_test_remove_tree(home);
}

static void write_text(const char *path, const char *text)
{
	char dir[512], *slash;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	assert_non_null(slash);
	*slash = '\0';
	mkdir(dir, 0700);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void write_alias_file(const char *text)
{
	write_text(alias_file, text);
}

static void write_mc_config(const char *text)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/config.json", mc_dir);
	write_text(path, text);
}

static dm_alias *resolve_ok(const char *name)
{
	dm_alias *a = NULL;

	if (dm_alias_resolve(&a, name) != DM_OK)
		fail_msg("alias '%s' did not resolve: %s", name, dm_err_detail());
	assert_non_null(a);
	return a;
}

static dm_alias *parse_ok(const char *url)
{
	dm_alias *a = NULL;

	if (dm_alias_parse_url(&a, "lake", url) != DM_OK)
		fail_msg("'%s' did not parse: %s", url, dm_err_detail());
	assert_non_null(a);
	return a;
}

static void expect_parse_error(const char *url, const char *why)
{
	dm_alias *a = (dm_alias *)0x1;

	assert_int_equal(dm_alias_parse_url(&a, "lake", url), DM_ERR_CONFIG);
	assert_null(a);
	if (!strstr(dm_err_detail(), "MC_HOST_lake") || !strstr(dm_err_detail(), why))
		fail_msg("'%s': detail '%s' should name MC_HOST_lake and say '%s'", url, dm_err_detail(), why);
}

/* ---- MC_HOST_ URLs ---- */

static void test_alias__parses_mc_host_url(void **state)
{
	dm_alias *a = parse_ok("http://minioadmin:minio-secret@127.0.0.1:9000");

	(void)state;
	assert_string_equal(a->name, "lake");
	assert_string_equal(a->url, "http://127.0.0.1:9000");
	assert_string_equal(a->access_key, "minioadmin");
	assert_string_equal(a->secret_key, "minio-secret");
	assert_null(a->session_token);
	assert_string_equal(a->region, "us-east-1");
	dm_alias_free(a);
}

static void test_alias__drops_trailing_slash_of_mc_host_url(void **state)
{
	dm_alias *a = parse_ok("https://AK:SK@s3.example.org:8443/");
	dm_alias *b = parse_ok("https://AK:SK@s3.example.org//");

	(void)state;
	assert_string_equal(a->url, "https://s3.example.org:8443");
	assert_string_equal(b->url, "https://s3.example.org");
	dm_alias_free(a);
	dm_alias_free(b);
}

/* A path was dropped without a word from MC_HOST_ while the alias file refused it:
 * both refuse it now, in the same words. */
static void test_alias__mc_host_url_path_is_refused_as_the_alias_file_refuses_it(void **state)
{
	static const char why[] = "url 'https://s3.example.org/lake' must not have a path, query or fragment "
				  "('/lake'): an S3 endpoint is http(s)://HOST[:PORT]";
	dm_alias *a = (dm_alias *)0x1;
	char want[1024];

	(void)state;
	assert_int_equal(dm_alias_parse_url(&a, "lake", "https://AK:SK@s3.example.org/lake"), DM_ERR_CONFIG);
	assert_null(a);
	snprintf(want, sizeof(want), "MC_HOST_lake: %s", why);
	assert_string_equal(dm_err_detail(), want);
	write_alias_file("aliases:\n  lake:\n    url: https://s3.example.org/lake\n    access_key: AK\n"
			 "    secret_key: SK\n");
	assert_int_equal(dm_alias_resolve(&a, "lake"), DM_ERR_CONFIG);
	snprintf(want, sizeof(want), "%s:3:10: alias 'lake': %s", alias_file, why);
	assert_string_equal(dm_err_detail(), want);
	setenv("MC_HOST_lake", "https://AK:SK@s3.example.org/lake", 1);
	assert_int_equal(dm_alias_resolve(&a, "lake"), DM_ERR_CONFIG);
	snprintf(want, sizeof(want), "MC_HOST_lake: %s", why);
	assert_string_equal(dm_err_detail(), want);
}

static void test_alias__refuses_query_fragment_and_odd_host_characters(void **state)
{
	(void)state;
	expect_parse_error("http://AK:SK@127.0.0.1:9000?x=1", "must not have a path, query or fragment ('?x=1')");
	expect_parse_error("http://AK:SK@127.0.0.1:9000#f", "('#f')");
	expect_parse_error("http://AK:SK@bad host:9000", "has the byte 0x20 in the host");
	expect_parse_error("http://AK:SK@bad'host:9000", "has ''' in the host");
	expect_parse_error("http://AK:SK@[::1]x:9000", "has 'x:9000' after the host");
	expect_parse_error("http://AK:SK@127.0.0.1:70000", "the port '70000', not a number from 1 to 65535");
	assert_int_equal(dm_alias_check_url("http://AK:SK@127.0.0.1:9000"), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "must not hold credentials"));
	assert_int_equal(dm_alias_check_url("https://[::1]:9000/"), DM_OK);
}

static void expect_bad_name(const char *name, const char *detail)
{
	dm_alias *a = (dm_alias *)0x1;

	assert_int_equal(dm_alias_check_name(name), DM_ERR_USAGE);
	if (strcmp(dm_err_detail(), detail) != 0)
		fail_msg("name: detail '%s', wanted '%s'", dm_err_detail(), detail);
	/* what cannot be written cannot be resolved either: one rule */
	assert_int_equal(dm_alias_resolve(&a, name), DM_ERR_USAGE);
	assert_null(a);
}

static void test_alias__names_that_dm_seed_cannot_resolve_are_refused(void **state)
{
	char name[300];

	(void)state;
	assert_int_equal(dm_alias_check_name("minio"), DM_OK);
	assert_int_equal(dm_alias_check_name("my lake-2_x.y"), DM_OK);
	assert_int_equal(dm_alias_check_name("caf\xc3\xa9"), DM_OK);
	expect_bad_name("", "'' is not an alias name: it is empty");
	expect_bad_name("a/b", "'a/b' is not an alias name: it holds '/', which ends the alias in dm-seed's target "
			       "ALIAS/BUCKET/PREFIX");
	expect_bad_name("a=b", "'a=b' is not an alias name: it holds '=', which cannot be part of the variable "
			       "MC_HOST_<alias>");
	expect_bad_name("a\tb\n", "'a\\x09b\\x0a' is not an alias name: it holds a control character");
	expect_bad_name("a\xff", "'a\\xff' is not an alias name: it is not valid UTF-8");
	memset(name, 'n', 201);
	name[201] = '\0';
	expect_bad_name(name, "'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' is not an alias name: it is longer than "
			      "200 bytes");
	name[200] = '\0';
	assert_int_equal(dm_alias_check_name(name), DM_OK);
}

static void test_alias__url_is_what_parse_url_reads_back(void **state)
{
	dm_alias *in = parse_ok("http://A%2BK:s%2Fk%40x%3Ay%25%20%C3%A9:T%3AOK@[::1]:9000");
	dm_alias *out = NULL;
	dm_buf b = DM_BUF_INIT;

	(void)state;
	assert_int_equal(dm_alias_url(&b, in), DM_OK);
	assert_string_equal(dm_buf_str(&b), "http://A%2BK:s%2Fk%40x%3Ay%25%20%C3%A9:T%3AOK@[::1]:9000");
	assert_int_equal(dm_alias_parse_url(&out, "lake", dm_buf_str(&b)), DM_OK);
	assert_string_equal(out->access_key, "A+K");
	assert_string_equal(out->secret_key, "s/k@x:y% \xc3\xa9");
	assert_string_equal(out->session_token, "T:OK");
	assert_string_equal(out->url, in->url);
	dm_buf_release(&b);
	dm_alias_free(in);
	dm_alias_free(out);
}

static void test_alias__reads_session_token_of_mc_host_url(void **state)
{
	dm_alias *a = parse_ok("http://AK:SK:FQoGZXIvYXdzEXAMPLETOKEN@127.0.0.1:7480");

	(void)state;
	assert_string_equal(a->access_key, "AK");
	assert_string_equal(a->secret_key, "SK");
	assert_non_null(a->session_token);
	assert_string_equal(a->session_token, "FQoGZXIvYXdzEXAMPLETOKEN");
	dm_alias_free(a);
}

static void test_alias__decodes_percent_escapes_in_credentials(void **state)
{
	dm_alias *a = parse_ok("http://A%2BK:s%2Fk%40x%3Ay%25@127.0.0.1:7480");

	(void)state;
	assert_string_equal(a->access_key, "A+K");
	assert_string_equal(a->secret_key, "s/k@x:y%");
	assert_null(a->session_token);
	dm_alias_free(a);
}

static void test_alias__secret_may_hold_a_raw_at_sign(void **state)
{
	dm_alias *a = parse_ok("http://AK:p@ss@127.0.0.1:7480");

	(void)state;
	assert_string_equal(a->secret_key, "p@ss");
	assert_string_equal(a->url, "http://127.0.0.1:7480");
	dm_alias_free(a);
}

static void test_alias__parses_ipv6_host(void **state)
{
	dm_alias *a = parse_ok("http://AK:SK@[::1]:9000");

	(void)state;
	assert_string_equal(a->url, "http://[::1]:9000");
	assert_string_equal(a->access_key, "AK");
	assert_string_equal(a->secret_key, "SK");
	assert_null(a->session_token);
	dm_alias_free(a);
}

static void test_alias__rejects_overlong_alias_name(void **state)
{
	char name[300];
	dm_alias *a = (dm_alias *)0x1;

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_not_equal(dm_alias_resolve(&a, name), DM_OK);
	assert_null(a);
	assert_int_not_equal(dm_alias_resolve(&a, ""), DM_OK);
}

static void test_alias__mc_host_region_comes_from_aws_region(void **state)
{
	dm_alias *a;

	(void)state;
	setenv("AWS_REGION", "eu-west-1", 1);
	a = parse_ok("http://AK:SK@127.0.0.1:7480");
	assert_string_equal(a->region, "eu-west-1");
	dm_alias_free(a);
}

static void test_alias__rejects_url_without_credentials(void **state)
{
	(void)state;
	expect_parse_error("http://127.0.0.1:9000", "no credentials");
}

static void test_alias__rejects_url_with_other_scheme(void **state)
{
	(void)state;
	expect_parse_error("ftp://AK:SK@127.0.0.1:9000", "http(s)://");
	expect_parse_error("AK:SK@127.0.0.1:9000", "http(s)://");
}

static void test_alias__rejects_empty_keys(void **state)
{
	(void)state;
	expect_parse_error("http://AK:@127.0.0.1:9000", "must not be empty");
	expect_parse_error("http://:SK@127.0.0.1:9000", "must not be empty");
	expect_parse_error("http://AKONLY@127.0.0.1:9000", "ACCESS:SECRET");
}

static void test_alias__rejects_url_without_host(void **state)
{
	(void)state;
	expect_parse_error("http://AK:SK@", "no host");
	expect_parse_error("http://AK:SK@/bucket", "no host");
}

static void test_alias__parse_error_does_not_show_the_secret(void **state)
{
	dm_alias *a = NULL;

	(void)state;
	assert_int_equal(dm_alias_parse_url(&a, "lake", "http://AK:TopSecretValue@"), DM_ERR_CONFIG);
	assert_null(strstr(dm_err_detail(), "TopSecretValue"));
}

/* ---- resolution order ---- */

static void write_all_sources(void)
{
	write_alias_file("aliases:\n"
			 "  lake:\n"
			 "    url: http://127.0.0.1:9001\n"
			 "    access_key: FILEAK\n"
			 "    secret_key: FILESECRET\n"
			 "    region: eu-central-1\n"
			 "  s3:\n"
			 "    url: https://s3.file.example\n"
			 "    access_key: FILES3AK\n"
			 "    secret_key: FILES3SECRET\n");
	write_mc_config("{\"version\": \"10\", \"aliases\": {"
			"\"lake\": {\"url\": \"http://127.0.0.1:9002\", \"accessKey\": \"MCAK\", "
			"\"secretKey\": \"MCSECRET\", \"api\": \"s3v4\", \"path\": \"auto\"},"
			"\"other\": {\"url\": \"http://127.0.0.1:9003/\", \"accessKey\": \"OTHERAK\", "
			"\"secretKey\": \"OTHERSECRET\", \"sessionToken\": \"OTHERTOKEN\", \"api\": \"s3v4\"}}}\n");
	setenv("AWS_ACCESS_KEY_ID", "ENVAK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
}

static void test_alias__mc_host_variable_wins_over_every_file(void **state)
{
	dm_alias *a;

	(void)state;
	write_all_sources();
	setenv("MC_HOST_lake", "http://ENVHOSTAK:ENVHOSTSECRET@127.0.0.1:9000", 1);
	a = resolve_ok("lake");
	assert_string_equal(a->url, "http://127.0.0.1:9000");
	assert_string_equal(a->access_key, "ENVHOSTAK");
	assert_non_null(strstr(a->source, "MC_HOST_"));
	dm_alias_free(a);
}

static void test_alias__alias_file_wins_over_mc_config(void **state)
{
	dm_alias *a;

	(void)state;
	write_all_sources();
	a = resolve_ok("lake");
	assert_string_equal(a->url, "http://127.0.0.1:9001");
	assert_string_equal(a->access_key, "FILEAK");
	assert_string_equal(a->secret_key, "FILESECRET");
	assert_string_equal(a->region, "eu-central-1");
	assert_string_equal(a->source, "alias file");
	dm_alias_free(a);
}

static void test_alias__mc_config_is_used_when_alias_file_lacks_the_name(void **state)
{
	dm_alias *a;

	(void)state;
	write_all_sources();
	a = resolve_ok("other");
	assert_string_equal(a->url, "http://127.0.0.1:9003");
	assert_string_equal(a->access_key, "OTHERAK");
	assert_string_equal(a->secret_key, "OTHERSECRET");
	assert_string_equal(a->session_token, "OTHERTOKEN");
	assert_string_equal(a->region, "us-east-1");
	assert_string_equal(a->source, "mc config");
	dm_alias_free(a);
}

static void test_alias__mc_config_is_used_when_there_is_no_alias_file(void **state)
{
	dm_alias *a;

	(void)state;
	write_all_sources();
	assert_int_equal(unlink(alias_file), 0);
	a = resolve_ok("lake");
	assert_string_equal(a->url, "http://127.0.0.1:9002");
	assert_string_equal(a->access_key, "MCAK");
	assert_string_equal(a->source, "mc config");
	dm_alias_free(a);
}

static void test_alias__reads_older_mc_config_hosts_section(void **state)
{
	dm_alias *a;

	(void)state;
	write_mc_config("{\"version\": \"9\", \"hosts\": {\"lake\": {\"url\": \"http://127.0.0.1:9009\", "
			"\"accessKey\": \"OLDAK\", \"secretKey\": \"OLDSECRET\", \"api\": \"S3v4\"}}}\n");
	a = resolve_ok("lake");
	assert_string_equal(a->url, "http://127.0.0.1:9009");
	assert_string_equal(a->access_key, "OLDAK");
	dm_alias_free(a);
}

static void test_alias__mc_config_defaults_to_home_dot_mc(void **state)
{
	char path[600];
	dm_alias *a;

	(void)state;
	unsetenv("MC_CONFIG_DIR");
	snprintf(path, sizeof(path), "%s/.mc/config.json", home);
	write_text(path, "{\"aliases\": {\"lake\": {\"url\": \"http://127.0.0.1:9010\", \"accessKey\": \"HAK\", "
			 "\"secretKey\": \"HSECRET\"}}}");
	a = resolve_ok("lake");
	assert_string_equal(a->url, "http://127.0.0.1:9010");
	dm_alias_free(a);
}

static void test_alias__alias_file_wins_over_aws_environment_for_s3(void **state)
{
	dm_alias *a;

	(void)state;
	write_all_sources();
	a = resolve_ok("s3");
	assert_string_equal(a->url, "https://s3.file.example");
	assert_string_equal(a->access_key, "FILES3AK");
	dm_alias_free(a);
}

static void test_alias__aws_environment_serves_alias_s3(void **state)
{
	dm_alias *a;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "ENVAK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
	setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:7480/", 1);
	setenv("AWS_REGION", "ap-south-1", 1);
	a = resolve_ok("s3");
	assert_string_equal(a->url, "http://127.0.0.1:7480");
	assert_string_equal(a->access_key, "ENVAK");
	assert_string_equal(a->secret_key, "ENVSECRET");
	assert_string_equal(a->session_token, "ENVTOKEN");
	assert_string_equal(a->region, "ap-south-1");
	assert_string_equal(a->source, "AWS_* environment");
	dm_alias_free(a);
}

static void test_alias__aws_environment_defaults_endpoint_and_region(void **state)
{
	dm_alias *a;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "ENVAK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
	setenv("AWS_DEFAULT_REGION", "sa-east-1", 1);
	a = resolve_ok("s3");
	assert_string_equal(a->url, "https://s3.amazonaws.com");
	assert_string_equal(a->region, "sa-east-1");
	assert_null(a->session_token);
	dm_alias_free(a);
}

static void test_alias__aws_environment_does_not_serve_other_names(void **state)
{
	dm_alias *a = (dm_alias *)0x1;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "ENVAK", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
	assert_int_not_equal(dm_alias_resolve(&a, "lake"), DM_OK);
	assert_null(a);
}

static void test_alias__unknown_alias_names_every_place_looked_in(void **state)
{
	dm_alias *a = (dm_alias *)0x1;
	char mc[600];

	(void)state;
	snprintf(mc, sizeof(mc), "%s/config.json", mc_dir);
	assert_int_not_equal(dm_alias_resolve(&a, "nope"), DM_OK);
	assert_null(a);
	assert_non_null(strstr(dm_err_detail(), "'nope'"));
	assert_non_null(strstr(dm_err_detail(), "MC_HOST_nope"));
	assert_non_null(strstr(dm_err_detail(), alias_file));
	assert_non_null(strstr(dm_err_detail(), mc));
	/* for "s3" the AWS variables are a place too */
	assert_int_not_equal(dm_alias_resolve(&a, "s3"), DM_OK);
	assert_non_null(strstr(dm_err_detail(), "AWS_ACCESS_KEY_ID"));
}

static void test_alias__resolved_secrets_are_redacted_from_logs(void **state)
{
	dm_alias *a;
	char out[256];

	(void)state;
	setenv("MC_HOST_lake", "http://AK:RedactMe-0123456789:TokenToo-987654321@127.0.0.1:9000", 1);
	a = resolve_ok("lake");
	dm_redact(out, sizeof(out), "secret=RedactMe-0123456789 token=TokenToo-987654321");
	assert_string_equal(out, "secret=**** token=****");
	dm_alias_free(a);
}

/* ---- errors in the alias file and mc config ---- */

static void test_alias__unknown_key_in_alias_file_names_line_and_column(void **state)
{
	dm_alias *a = (dm_alias *)0x1;
	char want[1024];

	(void)state;
	write_alias_file("aliases:\n"
			 "  lake:\n"
			 "    url: http://127.0.0.1:9001\n"
			 "    acces_key: FILEAK\n"
			 "    secret_key: FILESECRET\n");
	assert_int_equal(dm_alias_resolve(&a, "lake"), DM_ERR_CONFIG);
	assert_null(a);
	snprintf(want, sizeof(want), "%s:4:5: unknown key 'acces_key' in an alias", alias_file);
	if (strncmp(dm_err_detail(), want, strlen(want)) != 0)
		fail_msg("expected detail starting '%s', got '%s'", want, dm_err_detail());
}

static void test_alias__alias_without_url_is_a_configuration_error(void **state)
{
	dm_alias *a = (dm_alias *)0x1;

	(void)state;
	write_alias_file("aliases:\n  lake:\n    access_key: AK\n    secret_key: SK\n");
	assert_int_equal(dm_alias_resolve(&a, "lake"), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), alias_file));
	assert_non_null(strstr(dm_err_detail(), "missing required key 'url'"));
}

static void test_alias__alias_with_non_http_url_is_a_configuration_error(void **state)
{
	dm_alias *a = (dm_alias *)0x1;

	(void)state;
	write_alias_file("aliases:\n  lake:\n    url: 127.0.0.1:9000\n    access_key: AK\n    secret_key: SK\n");
	assert_int_equal(dm_alias_resolve(&a, "lake"), DM_ERR_CONFIG);
	assert_null(a);
	assert_non_null(strstr(dm_err_detail(), "http://"));
	assert_non_null(strstr(dm_err_detail(), "'lake'"));
}

static void test_alias__broken_alias_file_is_reported_not_skipped(void **state)
{
	dm_alias *a = (dm_alias *)0x1;
	char want[600];

	(void)state;
	write_mc_config("{\"aliases\": {\"lake\": {\"url\": \"http://127.0.0.1:9002\", \"accessKey\": \"MCAK\", "
			"\"secretKey\": \"MCSECRET\"}}}");
	write_alias_file("aliases:\n  lake: [unclosed\n");
	assert_int_equal(dm_alias_resolve(&a, "lake"), DM_ERR_CONFIG);
	assert_null(a);
	snprintf(want, sizeof(want), "%s:", alias_file);
	assert_int_equal(strncmp(dm_err_detail(), want, strlen(want)), 0);
}

static void test_alias__malformed_mc_config_names_file_and_position(void **state)
{
	dm_alias *a = (dm_alias *)0x1;
	char want[600];

	(void)state;
	write_mc_config("{\"aliases\": {\"lake\": {\"url\": }}}\n");
	assert_int_equal(dm_alias_resolve(&a, "lake"), DM_ERR_CONFIG);
	assert_null(a);
	snprintf(want, sizeof(want), "%s/config.json:1:", mc_dir);
	if (strncmp(dm_err_detail(), want, strlen(want)) != 0)
		fail_msg("expected detail starting '%s', got '%s'", want, dm_err_detail());
}

/* ---- the alias file path and dm_alias_save ---- */

static void test_alias__file_path_follows_dm_aliases_then_xdg_then_home(void **state)
{
	char *p, want[600];

	(void)state;
	p = dm_alias_file_path();
	assert_string_equal(p, alias_file);
	free(p);
	unsetenv("DM_ALIASES");
	setenv("XDG_CONFIG_HOME", "/xdg/config", 1);
	p = dm_alias_file_path();
	assert_string_equal(p, "/xdg/config/dm/aliases.yaml");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	p = dm_alias_file_path();
	snprintf(want, sizeof(want), "%s/.config/dm/aliases.yaml", home);
	assert_string_equal(p, want);
	free(p);
}

static dm_alias *make(const char *name, const char *url, const char *ak, const char *sk, const char *tok,
		      const char *region)
{
	dm_alias *a = calloc(1, sizeof(*a));

	assert_non_null(a);
	a->name = strdup(name);
	a->url = strdup(url);
	a->access_key = strdup(ak);
	a->secret_key = strdup(sk);
	a->session_token = tok ? strdup(tok) : NULL;
	a->region = region ? strdup(region) : NULL;
	return a;
}

static void test_alias__save_writes_a_private_file_that_resolves_back(void **state)
{
	dm_alias *in = make("lake", "http://127.0.0.1:7480", "SAVEAK", "save/secret+key=", "SAVETOKEN", "eu-west-1");
	dm_alias *out;
	struct stat st;

	(void)state;
	assert_int_equal(dm_alias_save(NULL, in), DM_OK); /* NULL: the default path, $DM_ALIASES here */
	assert_int_equal(stat(alias_file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	out = resolve_ok("lake");
	assert_string_equal(out->url, "http://127.0.0.1:7480");
	assert_string_equal(out->access_key, "SAVEAK");
	assert_string_equal(out->secret_key, "save/secret+key=");
	assert_string_equal(out->session_token, "SAVETOKEN");
	assert_string_equal(out->region, "eu-west-1");
	assert_string_equal(out->source, "alias file");
	dm_alias_free(in);
	dm_alias_free(out);
}

static void test_alias__save_keeps_other_aliases_and_replaces_the_same_name(void **state)
{
	dm_alias *one = make("lake", "http://127.0.0.1:1111", "AK1", "SECRET1", NULL, NULL);
	dm_alias *two = make("other", "http://127.0.0.1:2222", "AK2", "SECRET2", NULL, NULL);
	dm_alias *again = make("lake", "http://127.0.0.1:3333", "AK3", "SECRET3", NULL, NULL);
	dm_alias *a;
	char *text = NULL;

	(void)state;
	assert_int_equal(dm_alias_save(alias_file, one), DM_OK);
	assert_int_equal(dm_alias_save(alias_file, two), DM_OK);
	assert_int_equal(dm_alias_save(alias_file, again), DM_OK);
	a = resolve_ok("other");
	assert_string_equal(a->url, "http://127.0.0.1:2222");
	assert_string_equal(a->secret_key, "SECRET2");
	dm_alias_free(a);
	a = resolve_ok("lake");
	assert_string_equal(a->url, "http://127.0.0.1:3333");
	assert_string_equal(a->secret_key, "SECRET3");
	dm_alias_free(a);
	assert_int_equal(dm_read_file(&text, NULL, alias_file), DM_OK);
	assert_null(strstr(text, "SECRET1")); /* the replaced secret is gone from the file */
	free(text);
	dm_alias_free(one);
	dm_alias_free(two);
	dm_alias_free(again);
}

static void test_alias__save_round_trips_awkward_secrets(void **state)
{
	static const char secret[] = "q\"uote\\back: #hash 'single' - [x] {y} *z &a !b %c @d";
	dm_alias *in = make("lake", "http://127.0.0.1:7480", "AK", secret, NULL, NULL);
	dm_alias *out;

	(void)state;
	assert_int_equal(dm_alias_save(alias_file, in), DM_OK);
	out = resolve_ok("lake");
	assert_string_equal(out->secret_key, secret);
	dm_alias_free(in);
	dm_alias_free(out);
}

static void test_alias__save_round_trips_control_characters(void **state)
{
	/* C0 controls, DEL, C1 controls (U+0085, U+008C), a BOM and U+FFFF: YAML forbids them raw */
	static const char secret[] = "a\x01"
				     "b\tc\x7f d\xc2\x85"
				     "e\xc2\x8c"
				     "f\xef\xbb\xbf"
				     "g\xef\xbf\xbf"
				     "h \xc3\xa9";
	dm_alias *in = make("lake", "http://127.0.0.1:7480", "AK\x03", secret, NULL, NULL);
	dm_alias *out;

	(void)state;
	assert_int_equal(dm_alias_save(alias_file, in), DM_OK);
	out = resolve_ok("lake");
	assert_string_equal(out->access_key, "AK\x03");
	assert_string_equal(out->secret_key, secret);
	dm_alias_free(in);
	dm_alias_free(out);
}

static void test_alias__save_leaves_no_temporary_files(void **state)
{
	dm_alias *in = make("lake", "http://127.0.0.1:7480", "AK", "SECRETKEY", NULL, NULL);
	char dir[512];
	DIR *d;
	struct dirent *de;
	int n = 0;

	(void)state;
	assert_int_equal(dm_alias_save(alias_file, in), DM_OK);
	assert_int_equal(dm_alias_save(alias_file, in), DM_OK);
	snprintf(dir, sizeof(dir), "%s/dm", home);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		assert_string_equal(de->d_name, "aliases.yaml");
		n++;
	}
	closedir(d);
	assert_int_equal(n, 1);
	dm_alias_free(in);
}

static void test_alias__save_refuses_to_overwrite_a_broken_file(void **state)
{
	dm_alias *in = make("lake", "http://127.0.0.1:7480", "AK", "SECRETKEY", NULL, NULL);
	char *text = NULL;

	(void)state;
	write_alias_file("aliases: [broken\n");
	assert_int_equal(dm_alias_save(alias_file, in), DM_ERR_CONFIG);
	assert_int_equal(dm_read_file(&text, NULL, alias_file), DM_OK);
	assert_string_equal(text, "aliases: [broken\n");
	free(text);
	dm_alias_free(in);
}

static void test_alias__format_escapes_what_yaml_does_not_take_raw(void **state)
{
	/* NEL (U+0085) and U+008C, a BOM and U+FFFE/U+FFFF: a YAML reader folds or refuses them raw */
	static const char secret[] = "a\xc2\x85"
				     "b\xc2\x8c"
				     "c\xef\xbb\xbf"
				     "d\xef\xbf\xbe"
				     "e\xef\xbf\xbf"
				     "f\x01";
	dm_alias *in = make("lake", "http://127.0.0.1:7480", "AK", secret, NULL, NULL);
	dm_buf b = DM_BUF_INIT;
	dm_yaml *doc = NULL;
	const char *back = NULL;

	(void)state;
	assert_int_equal(dm_alias_format(&b, in), DM_OK);
	assert_string_equal(dm_buf_str(&b), "aliases:\n  \"lake\":\n    url: \"http://127.0.0.1:7480\"\n"
					    "    access_key: \"AK\"\n"
					    "    secret_key: \"a\\x85b\\x8cc\\ufeffd\\ufffee\\ufffff\\x01\"\n");
	assert_int_equal(dm_yaml_load_string(&doc, "formatted", b.data, b.len), DM_OK);
	assert_int_equal(dm_yaml_get_str(doc, dm_yaml_get(dm_yaml_get(dm_yaml_root(doc), "aliases"), "lake"),
					 "secret_key", 1, &back),
			 DM_OK);
	assert_string_equal(back, secret);
	dm_yaml_free(doc);
	dm_buf_release(&b);
	dm_alias_free(in);
}

static char *read_text(void)
{
	char *text = NULL;

	assert_int_equal(dm_read_file(&text, NULL, alias_file), DM_OK);
	return text;
}

static void test_alias__save_keeps_the_comments_and_the_other_lines(void **state)
{
	static const char before[] =
		"# my aliases\n"
		"aliases:\n"
		"    # the old lake\n"
		"    lake:\n"
		"        url: http://127.0.0.1:1111   # port 1111\n"
		"        # keys from the vault\n"
		"        access_key: AK1\n"
		"        secret_key: 'SECRET1 # not a comment'\n"
		"\n"
		"    # other is kept as it is\n"
		"    other: {url: 'http://127.0.0.1:2222', access_key: AK2, secret_key: SECRET2}  # flow\n"
		"# the end\n";
	static const char after[] =
		"# my aliases\n"
		"aliases:\n"
		"    # the old lake\n"
		"        # keys from the vault\n"
		"    \"lake\":\n"
		"      url: \"http://127.0.0.1:3333\"\n"
		"      access_key: \"AK3\"\n"
		"      secret_key: \"SECRET3\"\n"
		"\n"
		"    # other is kept as it is\n"
		"    other: {url: 'http://127.0.0.1:2222', access_key: AK2, secret_key: SECRET2}  # flow\n"
		"# the end\n"
		"    \"new\":\n"
		"      url: \"http://127.0.0.1:4444\"\n"
		"      access_key: \"AK4\"\n"
		"      secret_key: \"SECRET4\"\n";
	dm_alias *again = make("lake", "http://127.0.0.1:3333", "AK3", "SECRET3", NULL, NULL);
	dm_alias *added = make("new", "http://127.0.0.1:4444", "AK4", "SECRET4", NULL, NULL);
	dm_alias *a;
	char *text;

	(void)state;
	write_alias_file(before);
	assert_int_equal(dm_alias_save(alias_file, again), DM_OK);
	assert_int_equal(dm_alias_save(alias_file, added), DM_OK);
	text = read_text();
	assert_string_equal(text, after);
	free(text);
	a = resolve_ok("other");
	assert_string_equal(a->secret_key, "SECRET2");
	dm_alias_free(a);
	a = resolve_ok("lake");
	assert_string_equal(a->secret_key, "SECRET3");
	dm_alias_free(a);
	dm_alias_free(again);
	dm_alias_free(added);
}

static char warned[1024];

static void keep_warning(dm_log_level level, const char *msg, void *ud)
{
	(void)ud;
	if (level == DM_LOG_WARN)
		snprintf(warned, sizeof(warned), "%s", msg);
}

static void test_alias__save_rewrites_a_flow_layout_and_says_its_comments_are_gone(void **state)
{
	dm_alias *in = make("lake", "http://127.0.0.1:7480", "AK", "SECRETKEY", NULL, NULL);
	dm_alias *a;
	char *text;

	(void)state;
	warned[0] = '\0';
	dm_log_set(keep_warning, NULL);
	write_alias_file("aliases: {other: {url: 'http://127.0.0.1:2222', access_key: AK2, secret_key: S2}}  # mine\n");
	assert_int_equal(dm_alias_save(alias_file, in), DM_OK);
	dm_log_set(NULL, NULL);
	assert_non_null(strstr(warned, "its comments are not kept"));
	text = read_text();
	assert_null(strstr(text, "# mine"));
	free(text);
	a = resolve_ok("other");
	assert_string_equal(a->secret_key, "S2");
	dm_alias_free(a);
	a = resolve_ok("lake");
	assert_string_equal(a->secret_key, "SECRETKEY");
	dm_alias_free(a);
	/* dm's own layout keeps its head line and warns of nothing */
	warned[0] = '\0';
	dm_log_set(keep_warning, NULL);
	assert_int_equal(dm_alias_save(alias_file, in), DM_OK);
	dm_log_set(NULL, NULL);
	assert_string_equal(warned, "");
	dm_alias_free(in);
}

static void test_alias__save_refuses_a_file_with_an_alias_dm_seed_cannot_read(void **state)
{
	static const char broken[] = "aliases:\n  other:\n    url: http://127.0.0.1:2222/path\n    access_key: A\n"
				     "    secret_key: S\n";
	dm_alias *in = make("lake", "http://127.0.0.1:7480", "AK", "SECRETKEY", NULL, NULL);
	char *text;

	(void)state;
	write_alias_file(broken);
	assert_int_equal(dm_alias_save(alias_file, in), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), ":3:10: alias 'other': url 'http://127.0.0.1:2222/path' must not"));
	text = read_text();
	assert_string_equal(text, broken);
	free(text);
	dm_alias_free(in);
}

static void test_alias__save_refuses_a_name_or_url_dm_seed_cannot_use(void **state)
{
	dm_alias *slash = make("a/b", "http://127.0.0.1:7480", "AK", "SECRETKEY", NULL, NULL);
	dm_alias *path = make("lake", "http://127.0.0.1:7480/x", "AK", "SECRETKEY", NULL, NULL);
	struct stat st;

	(void)state;
	assert_int_equal(dm_alias_save(alias_file, slash), DM_ERR_USAGE);
	assert_int_equal(dm_alias_save(alias_file, path), DM_ERR_INVALID);
	assert_string_equal(dm_err_detail(),
			    "cannot write alias 'lake': url 'http://127.0.0.1:7480/x' must not have "
			    "a path, query or fragment ('/x'): an S3 endpoint is http(s)://HOST[:PORT]");
	assert_int_not_equal(stat(alias_file, &st), 0);
	dm_alias_free(slash);
	dm_alias_free(path);
}

/* Each writer reads, changes and replaces the file under the lock: 20 at once keep 20. */
static void test_alias__parallel_writers_keep_every_alias(void **state)
{
	enum { WRITERS = 20 };
	pid_t pids[WRITERS];
	struct stat st;

	(void)state;
	for (int i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char name[16], url[64];
			dm_alias *a;

			snprintf(name, sizeof(name), "w%02d", i);
			snprintf(url, sizeof(url), "http://127.0.0.1:%d", 9000 + i);
			a = make(name, url, "AK", "SECRETKEY", NULL, NULL);
			_exit(dm_alias_save(alias_file, a) == DM_OK ? 0 : 1);
		}
	}
	for (int i = 0; i < WRITERS; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		char name[16], url[64];
		dm_alias *a;

		snprintf(name, sizeof(name), "w%02d", i);
		snprintf(url, sizeof(url), "http://127.0.0.1:%d", 9000 + i);
		a = resolve_ok(name);
		assert_string_equal(a->url, url);
		dm_alias_free(a);
	}
	assert_int_equal(stat(alias_file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_alias__free_of_null_is_a_no_op(void **state)
{
	(void)state;
	dm_alias_free(NULL);
}

/* ---- an alias whose keys are in the cluster (dm-secrets --alias on a component) ---- */

static void test_alias__an_alias_may_name_the_secret_that_holds_its_keys(void **state)
{
	dm_alias *in = make("lake", "http://minio.data-mill.svc.cluster.local:9000", "", "", NULL, NULL);
	dm_alias *plain = make("other", "http://127.0.0.1:2222", "AK2", "SECRET2", NULL, NULL);
	dm_alias *out;
	char *text = NULL;

	(void)state;
	free(in->access_key);
	free(in->secret_key);
	in->access_key = in->secret_key = NULL;
	in->secret = strdup("minio-credentials");
	in->secret_ns = strdup("data-mill");
	in->access_key_field = strdup("rootUser");
	in->secret_key_field = strdup("rootPassword");
	assert_int_equal(dm_alias_save(alias_file, plain), DM_OK);
	assert_int_equal(dm_alias_save(alias_file, in), DM_OK);
	assert_int_equal(dm_read_file(&text, NULL, alias_file), DM_OK);
	assert_non_null(strstr(text, "    secret: \"minio-credentials\"\n    namespace: \"data-mill\"\n"
				     "    access_key_field: \"rootUser\"\n    secret_key_field: \"rootPassword\"\n"));
	assert_null(strstr(text, "    access_key: \"\"")); /* no empty keys written */
	free(text);
	out = resolve_ok("lake");
	assert_string_equal(out->url, "http://minio.data-mill.svc.cluster.local:9000");
	assert_string_equal(out->secret, "minio-credentials");
	assert_string_equal(out->secret_ns, "data-mill");
	assert_string_equal(out->access_key_field, "rootUser");
	assert_string_equal(out->secret_key_field, "rootPassword");
	assert_string_equal(out->access_key, ""); /* read from the cluster at use: dm_alias_connect */
	assert_int_equal(dm_alias_needs_cluster(out), 1);
	assert_int_equal(dm_alias_reachability(out), DM_REACH_IN_CLUSTER);
	dm_alias_free(out);
	/* a rewrite of the file (another alias saved) keeps the form */
	assert_int_equal(dm_alias_save(alias_file, plain), DM_OK);
	out = resolve_ok("lake");
	assert_string_equal(out->secret, "minio-credentials");
	dm_alias_free(out);
	out = resolve_ok("other");
	assert_null(out->secret);
	assert_int_equal(dm_alias_needs_cluster(out), 0);
	dm_alias_free(out);
	dm_alias_free(in);
	dm_alias_free(plain);
}

static void test_alias__secret_and_keys_exclude_each_other(void **state)
{
	dm_alias *a = NULL;

	(void)state;
	write_alias_file("aliases:\n  lake:\n    url: http://x.ns.svc:9000\n    secret: s\n    namespace: ns\n"
			 "    access_key: AK\n    secret_key: SK\n");
	assert_int_equal(dm_alias_resolve(&a, "lake"), DM_ERR_CONFIG);
	if (!strstr(dm_err_detail(), "'secret' and 'access_key'/'secret_key' exclude each other"))
		fail_msg("detail: %s", dm_err_detail());
	write_alias_file("aliases:\n  lake:\n    url: http://x.ns.svc:9000\n    secret: s\n");
	assert_int_equal(dm_alias_resolve(&a, "lake"), DM_ERR_CONFIG);
	if (!strstr(dm_err_detail(), "namespace"))
		fail_msg("detail: %s", dm_err_detail());
}

static void test_alias__service_names_in_urls(void **state)
{
	static const struct {
		const char *url, *ns, *name;
		int port;
	} yes[] = {
		{ "http://minio.data-mill.svc.cluster.local:9000", "data-mill", "minio", 9000 },
		{ "https://s3.lake.svc", "lake", "s3", 443 },
		{ "http://s3.lake.svc/", "lake", "s3", 80 },
	};
	static const char *const no[] = { "http://127.0.0.1:9000", "http://minio.svc.cluster.local:9000",
					  "http://a.b.svc.example.com", "http://a.b.cluster.local", "http://.b.svc" };
	char *ns, *name;
	int port;

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
		assert_int_equal(dm_k8s_service_of_url(yes[i].url, &ns, &name, &port), 1);
		assert_string_equal(ns, yes[i].ns);
		assert_string_equal(name, yes[i].name);
		assert_int_equal(port, yes[i].port);
		free(ns);
		free(name);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++) {
		if (dm_k8s_service_of_url(no[i], &ns, &name, &port))
			fail_msg("'%s' taken for a Service", no[i]);
		assert_null(ns);
		assert_null(name);
	}
}

static void test_alias__a_loopback_url_where_nothing_listens_is_said(void **state)
{
	dm_alias *a = make("x", "http://127.0.0.1:1", "AK", "SK", NULL, NULL); /* port 1: nothing listens */
	dm_alias *b = make("y", "https://s3.example.com", "AK", "SK", NULL, NULL);

	(void)state;
	assert_int_equal(dm_alias_reachability(a), DM_REACH_LOOPBACK_SHUT);
	assert_int_equal(dm_alias_reachability(b), DM_REACH_OK);
	dm_alias_free(a);
	dm_alias_free(b);
}

/* The current target declares where a Service is reached from outside the cluster: an alias
 * naming that Service goes there, without the cluster's API and without a port-forward. */
static void test_alias__a_declared_endpoint_replaces_the_services_in_cluster_name(void **state)
{
	dm_k8s_endpoint eps[] = { { .service = "minio.data-mill", .url = "http://192.168.49.2:30900" } };
	dm_k8s_current target = { .target = "k8s/configs/lab.yaml", .endpoints = eps, .n_endpoints = 1 };
	dm_alias_connect_opts co = { .k8s = NULL, .target = &target }; /* no cluster: none is needed */
	dm_alias *a = NULL, *other = make("o", "http://s3.lake.svc:9000", "AK", "SK", NULL, NULL);
	dm_k8s_forward *fwd = (dm_k8s_forward *)&co;
	char *service = (char *)"x";

	(void)state;
	assert_int_equal(dm_alias_of_secret(&a, "lake", "http://minio.data-mill.svc.cluster.local:9000/",
					    "minio-credentials", "data-mill", "rootUser", NULL, "the platform"),
			 DM_OK);
	assert_string_equal(a->url, "http://minio.data-mill.svc.cluster.local:9000");
	assert_string_equal(a->secret, "minio-credentials");
	assert_string_equal(a->secret_ns, "data-mill");
	assert_string_equal(a->access_key_field, "rootUser");
	assert_null(a->secret_key_field);
	assert_string_equal(a->access_key, "");
	assert_string_equal(a->region, "us-east-1");
	assert_string_equal(a->source, "the platform");
	assert_string_equal(dm_alias_declared_endpoint(a, &target, &service), "http://192.168.49.2:30900");
	assert_string_equal(service, "minio.data-mill");
	free(service);
	assert_null(dm_alias_declared_endpoint(other, &target, &service)); /* another Service */
	assert_null(service);
	assert_null(dm_alias_declared_endpoint(a, NULL, &service));
	/* the keys still come from the Secret: an alias without one is connected without a cluster */
	free(a->secret);
	a->secret = NULL;
	assert_int_equal(dm_alias_connect(a, &co, &fwd), DM_OK);
	assert_null(fwd);
	assert_string_equal(a->url, "http://192.168.49.2:30900");
	dm_alias_free(a);
	dm_alias_free(other);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_alias__parses_mc_host_url),
		T(test_alias__drops_trailing_slash_of_mc_host_url),
		T(test_alias__mc_host_url_path_is_refused_as_the_alias_file_refuses_it),
		T(test_alias__refuses_query_fragment_and_odd_host_characters),
		T(test_alias__names_that_dm_seed_cannot_resolve_are_refused),
		T(test_alias__url_is_what_parse_url_reads_back),
		T(test_alias__reads_session_token_of_mc_host_url),
		T(test_alias__decodes_percent_escapes_in_credentials),
		T(test_alias__secret_may_hold_a_raw_at_sign),
		T(test_alias__parses_ipv6_host),
		T(test_alias__rejects_overlong_alias_name),
		T(test_alias__mc_host_region_comes_from_aws_region),
		T(test_alias__rejects_url_without_credentials),
		T(test_alias__rejects_url_with_other_scheme),
		T(test_alias__rejects_empty_keys),
		T(test_alias__rejects_url_without_host),
		T(test_alias__parse_error_does_not_show_the_secret),
		T(test_alias__mc_host_variable_wins_over_every_file),
		T(test_alias__alias_file_wins_over_mc_config),
		T(test_alias__mc_config_is_used_when_alias_file_lacks_the_name),
		T(test_alias__mc_config_is_used_when_there_is_no_alias_file),
		T(test_alias__reads_older_mc_config_hosts_section),
		T(test_alias__mc_config_defaults_to_home_dot_mc),
		T(test_alias__alias_file_wins_over_aws_environment_for_s3),
		T(test_alias__aws_environment_serves_alias_s3),
		T(test_alias__aws_environment_defaults_endpoint_and_region),
		T(test_alias__aws_environment_does_not_serve_other_names),
		T(test_alias__unknown_alias_names_every_place_looked_in),
		T(test_alias__resolved_secrets_are_redacted_from_logs),
		T(test_alias__unknown_key_in_alias_file_names_line_and_column),
		T(test_alias__alias_without_url_is_a_configuration_error),
		T(test_alias__alias_with_non_http_url_is_a_configuration_error),
		T(test_alias__broken_alias_file_is_reported_not_skipped),
		T(test_alias__malformed_mc_config_names_file_and_position),
		T(test_alias__file_path_follows_dm_aliases_then_xdg_then_home),
		T(test_alias__save_writes_a_private_file_that_resolves_back),
		T(test_alias__save_keeps_other_aliases_and_replaces_the_same_name),
		T(test_alias__save_round_trips_awkward_secrets),
		T(test_alias__save_round_trips_control_characters),
		T(test_alias__save_leaves_no_temporary_files),
		T(test_alias__save_refuses_to_overwrite_a_broken_file),
		T(test_alias__format_escapes_what_yaml_does_not_take_raw),
		T(test_alias__save_keeps_the_comments_and_the_other_lines),
		T(test_alias__save_rewrites_a_flow_layout_and_says_its_comments_are_gone),
		T(test_alias__save_refuses_a_file_with_an_alias_dm_seed_cannot_read),
		T(test_alias__save_refuses_a_name_or_url_dm_seed_cannot_use),
		T(test_alias__parallel_writers_keep_every_alias),
		T(test_alias__free_of_null_is_a_no_op),
		T(test_alias__an_alias_may_name_the_secret_that_holds_its_keys),
		T(test_alias__secret_and_keys_exclude_each_other),
		T(test_alias__service_names_in_urls),
		T(test_alias__a_declared_endpoint_replaces_the_services_in_cluster_name),
		T(test_alias__a_loopback_url_where_nothing_listens_is_said),
	};

	return cmocka_run_group_tests_name("alias", tests, NULL, NULL);
}
