/* libdm/log.c - the log callback and the redactor every message passes through. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dm/log.h>
#include <dm/util.h>

#define MSG_MAX 4096
#define MIN_SECRET 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static dm_log_fn sink;
static void *sink_data;
static dm_log_level max_level = DM_LOG_INFO;
static char **secrets;
static size_t nsecrets;

void dm_log_set(dm_log_fn fn, void *userdata)
{
	pthread_mutex_lock(&lock);
	sink = fn;
	sink_data = userdata;
	pthread_mutex_unlock(&lock);
}

void dm_log_set_level(dm_log_level max)
{
	pthread_mutex_lock(&lock);
	max_level = max;
	pthread_mutex_unlock(&lock);
}

dm_log_level dm_log_get_level(void)
{
	dm_log_level l;

	pthread_mutex_lock(&lock);
	l = max_level;
	pthread_mutex_unlock(&lock);
	return l;
}

void dm_log_add_secret(const char *secret)
{
	char **grown, *copy;

	if (!secret || strlen(secret) < MIN_SECRET)
		return;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nsecrets; i++) {
		if (strcmp(secrets[i], secret) == 0) {
			pthread_mutex_unlock(&lock);
			return;
		}
	}
	grown = realloc(secrets, (nsecrets + 1) * sizeof(*secrets));
	copy = strdup(secret);
	if (grown)
		secrets = grown;
	if (grown && copy)
		secrets[nsecrets++] = copy;
	else
		free(copy);
	pthread_mutex_unlock(&lock);
}

void dm_log_forget_secrets(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nsecrets; i++)
		dm_free_secret(secrets[i]);
	free(secrets);
	secrets = NULL;
	nsecrets = 0;
	pthread_mutex_unlock(&lock);
}

/* Caller holds lock. */
static void redact_locked(char *out, unsigned long n, const char *text)
{
	size_t o = 0;

	if (n == 0)
		return;
	while (*text && o + 1 < n) {
		size_t hit = 0;

		for (size_t i = 0; i < nsecrets; i++) {
			size_t l = strlen(secrets[i]);

			if (strncmp(text, secrets[i], l) == 0 && l > hit)
				hit = l;
		}
		if (hit) {
			for (const char *r = "****"; *r && o + 1 < n; r++)
				out[o++] = *r;
			text += hit;
		} else {
			out[o++] = *text++;
		}
	}
	out[o] = '\0';
}

char *dm_redact(char *out, unsigned long n, const char *text)
{
	pthread_mutex_lock(&lock);
	redact_locked(out, n, text ? text : "");
	pthread_mutex_unlock(&lock);
	return out;
}

void dm_log(dm_log_level level, const char *fmt, ...)
{
	char raw[MSG_MAX], clean[MSG_MAX];
	dm_log_fn fn;
	void *ud;
	va_list ap;

	pthread_mutex_lock(&lock);
	fn = sink;
	ud = sink_data;
	if (!fn || level > max_level) {
		pthread_mutex_unlock(&lock);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	redact_locked(clean, sizeof(clean), raw);
	pthread_mutex_unlock(&lock);
	fn(level, clean, ud);
	dm_wipe(raw, sizeof(raw));
}
