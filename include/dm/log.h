/* dm/log.h - libdm never prints: it reports through a callback the tool installs.
 *
 * Every message passes through the redactor: any string registered with
 * dm_log_add_secret() is replaced by "****" before the callback sees it.
 * All functions are thread-safe.
 */
#ifndef DM_LOG_H
#define DM_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { DM_LOG_ERROR = 0, DM_LOG_WARN = 1, DM_LOG_INFO = 2, DM_LOG_DEBUG = 3 } dm_log_level;

typedef void (*dm_log_fn)(dm_log_level level, const char *msg, void *userdata);

/* Installs the sink (NULL: messages are dropped) and the most verbose level passed on. */
void dm_log_set(dm_log_fn fn, void *userdata);
void dm_log_set_level(dm_log_level max);
dm_log_level dm_log_get_level(void);

void dm_log(dm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define dm_error(...) dm_log(DM_LOG_ERROR, __VA_ARGS__)
#define dm_warn(...) dm_log(DM_LOG_WARN, __VA_ARGS__)
#define dm_info(...) dm_log(DM_LOG_INFO, __VA_ARGS__)
#define dm_debug(...) dm_log(DM_LOG_DEBUG, __VA_ARGS__)

/* Registers a secret (copied) to be redacted from every log message and error
 * detail from now on.  Strings shorter than 4 bytes are ignored (too likely to
 * mangle ordinary text).  Copies are wiped at dm_log_forget_secrets(). */
void dm_log_add_secret(const char *secret);
void dm_log_forget_secrets(void);

/* Writes into out (size n) the text with registered secrets replaced by "****".
 * Returns out.  Used by the logger and dm_fail; tools may use it too. */
char *dm_redact(char *out, unsigned long n, const char *text);

#ifdef __cplusplus
}
#endif
#endif
