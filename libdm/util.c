/* libdm/util.c - buffers, parsing of sizes and durations, encodings, files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <dm/util.h>

static dm_err buf_reserve(dm_buf *b, size_t extra)
{
	size_t cap;
	char *p;

	if (b->len + extra + 1 <= b->cap)
		return DM_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return dm_nomem();
	b->data = p;
	b->cap = cap;
	return DM_OK;
}

dm_err dm_buf_append(dm_buf *b, const void *data, size_t len)
{
	dm_err e = buf_reserve(b, len);

	if (e)
		return e;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return DM_OK;
}

dm_err dm_buf_puts(dm_buf *b, const char *s)
{
	return dm_buf_append(b, s, strlen(s));
}

dm_err dm_buf_printf(dm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	dm_err e;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return dm_fail(DM_ERR_INVALID, "bad format");
	if ((e = buf_reserve(b, (size_t)n)) != DM_OK)
		return e;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return DM_OK;
}

const char *dm_buf_str(dm_buf *b)
{
	if (!b->data && dm_buf_append(b, "", 0) != DM_OK)
		return NULL;
	return b->data;
}

void dm_buf_clear(dm_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void dm_buf_release(dm_buf *b)
{
	if (b->data) {
		dm_wipe(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->len = b->cap = 0;
}

char *dm_buf_detach(dm_buf *b)
{
	char *p = b->data;

	if (!p)
		p = strdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

char *dm_strdup_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Appends segment seg (n bytes) of a path being folded into out, where o is the end: "." is
 * dropped, ".." takes back the last segment above *keep (the part that cannot be taken
 * back: "/" of an absolute path, the leading ".." of a relative one).  Returns the new end. */
static char *path_fold(char *out, char *o, size_t *keep, const char *seg, size_t n)
{
	if (n == 1 && seg[0] == '.')
		return o;
	if (n == 2 && seg[0] == '.' && seg[1] == '.') {
		if (o > out + *keep) {
			while (o > out + *keep && *--o != '/')
				;
			return o;
		}
		if (*keep == 1 && out[0] == '/')
			return o; /* ".." of "/" is "/" */
	}
	if (o > out && o[-1] != '/')
		*o++ = '/';
	memcpy(o, seg, n);
	o += n;
	if (n == 2 && seg[0] == '.' && seg[1] == '.')
		*keep = (size_t)(o - out);
	return o;
}

char *dm_path_resolve(const char *base, const char *rel)
{
	const char *parts[2];
	size_t keep;
	char *out, *o;

	if (!rel)
		return NULL;
	if (!base || rel[0] == '/')
		base = "";
	parts[0] = base;
	parts[1] = rel;
	out = malloc(strlen(base) + strlen(rel) + 3);
	if (!out)
		return NULL;
	o = out;
	if ((base[0] ? base : rel)[0] == '/')
		*o++ = '/';
	keep = (size_t)(o - out);
	for (int i = 0; i < 2; i++)
		for (const char *p = parts[i]; *p;) {
			size_t n = strcspn(p, "/");

			if (n)
				o = path_fold(out, o, &keep, p, n);
			p += n;
			p += strspn(p, "/");
		}
	if (o == out)
		*o++ = '.';
	*o = '\0';
	return out;
}

dm_err dm_parse_size(const char *text, uint64_t *out)
{
	char *end;
	double v;
	double mul = 1;

	if (!text || !*text)
		return dm_fail(DM_ERR_USAGE, "empty size");
	/* strtod also reads "nan", "inf", hex and leading blanks: only plain numbers are sizes */
	if (!((*text >= '0' && *text <= '9') || *text == '.'))
		return dm_fail(DM_ERR_USAGE, "invalid size '%s' (use e.g. 512, 64k, 8MiB, 1G)", text);
	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || v < 0)
		return dm_fail(DM_ERR_USAGE, "invalid size '%s'", text);
	if (*end) {
		char u = (char)(*end | 0x20);
		const char *rest = end + 1;
		int si;

		switch (u) {
		case 'b':
			mul = 1;
			rest = end + 1;
			break;
		case 'k': mul = 1024.0; break;
		case 'm': mul = 1024.0 * 1024; break;
		case 'g': mul = 1024.0 * 1024 * 1024; break;
		case 't': mul = 1024.0 * 1024 * 1024 * 1024; break;
		default: return dm_fail(DM_ERR_USAGE, "invalid size '%s' (use e.g. 512, 64k, 8MiB, 1G)", text);
		}
		si = u != 'b' && (rest[0] == 'B' || rest[0] == 'b') && rest[1] == '\0';
		if (si) {
			double p = u == 'k' ? 1 : u == 'm' ? 2 : u == 'g' ? 3 : 4;
			mul = 1;
			while (p-- > 0)
				mul *= 1000;
		} else if (u != 'b' && *rest && strcmp(rest, "iB") != 0 && strcmp(rest, "ib") != 0) {
			return dm_fail(DM_ERR_USAGE, "invalid size '%s' (use e.g. 512, 64k, 8MiB, 1G)", text);
		} else if (u == 'b' && *rest) {
			return dm_fail(DM_ERR_USAGE, "invalid size '%s'", text);
		}
	}
	v *= mul;
	if (v > 1.8e19)
		return dm_fail(DM_ERR_USAGE, "size '%s' is too large", text);
	*out = (uint64_t)v;
	return DM_OK;
}

dm_err dm_parse_duration_ms(const char *text, uint64_t *out)
{
	const char *p = text;
	double total = 0;

	if (!text || !*text)
		return dm_fail(DM_ERR_USAGE, "empty duration");
	while (*p) {
		char *end;
		double v;
		double mul;

		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return dm_fail(DM_ERR_USAGE, "invalid duration '%s' (use e.g. 30s, 500ms, 5m, 1h)", text);
		errno = 0;
		v = strtod(p, &end);
		if (errno || end == p || v < 0)
			return dm_fail(DM_ERR_USAGE, "invalid duration '%s' (use e.g. 30s, 500ms, 5m, 1h)", text);
		if (strncmp(end, "ms", 2) == 0) {
			mul = 1;
			end += 2;
		} else if (*end == 's') {
			mul = 1000;
			end++;
		} else if (*end == 'm') {
			mul = 60000;
			end++;
		} else if (*end == 'h') {
			mul = 3600000;
			end++;
		} else if (*end == '\0' && p == text) {
			mul = 1000;
		} else {
			return dm_fail(DM_ERR_USAGE, "invalid duration '%s' (use e.g. 30s, 500ms, 5m, 1h)", text);
		}
		total += v * mul;
		p = end;
	}
	if (total > 1e15)
		return dm_fail(DM_ERR_USAGE, "duration '%s' is too long", text);
	*out = (uint64_t)total;
	return DM_OK;
}

void dm_hex(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t dm_base64_encode(char *out, const unsigned char *in, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

dm_err dm_base64_decode(unsigned char **out, size_t *outlen, const char *in, size_t n)
{
	unsigned char *buf;
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	*out = NULL;
	while (n > 0 && in[n - 1] == '=')
		n--;
	buf = malloc(n * 3 / 4 + 2);
	if (!buf)
		return dm_nomem();
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)in[i]);

		if (v < 0) {
			dm_wipe(buf, n * 3 / 4 + 2);
			free(buf);
			return dm_fail(DM_ERR_PARSE, "invalid base64 at offset %zu", i);
		}
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	if (bits >= 6) {
		dm_wipe(buf, n * 3 / 4 + 2);
		free(buf);
		return dm_fail(DM_ERR_PARSE, "invalid base64 length");
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return DM_OK;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The one %XX decoder; strict: a '%' without two hex digits after it is an error. */
static dm_err pct_decode(dm_buf *out, const char *s, size_t n, int plus_is_space, int strict)
{
	dm_err e = dm_buf_append(out, "", 0);
	size_t start = 0;

	for (size_t i = 0; i < n && !e; i++) {
		char c;

		if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0)
			c = (char)(hexval((unsigned char)s[i + 1]) << 4 | hexval((unsigned char)s[i + 2]));
		else if (s[i] == '%' && strict)
			return dm_fail(DM_ERR_PARSE, "'%%' without two hex digits at byte %zu", i);
		else if (s[i] == '+' && plus_is_space)
			c = ' ';
		else
			continue;
		e = dm_buf_append(out, s + start, i - start);
		if (!e)
			e = dm_buf_append(out, &c, 1);
		if (s[i] == '%')
			i += 2;
		start = i + 1;
	}
	if (!e && n > start)
		e = dm_buf_append(out, s + start, n - start);
	return e;
}

dm_err dm_pct_decode(dm_buf *out, const char *s, size_t n, int plus_is_space)
{
	return pct_decode(out, s, n, plus_is_space, 0);
}

dm_err dm_pct_decode_strict(dm_buf *out, const char *s, size_t n, int plus_is_space)
{
	return pct_decode(out, s, n, plus_is_space, 1);
}

int dm_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t len;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* The length of the UTF-8 sequence at s[0..n) of a printable character
 * (U+00A0 and above), or 0. */
static size_t printable_utf8(const unsigned char *s, size_t n)
{
	size_t len = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;

	if (!len || len > n || !dm_utf8_valid((const char *)s, len))
		return 0;
	/* C1 controls are U+0080-U+009F: 0xC2 0x80-0x9F */
	return s[0] == 0xc2 && s[1] < 0xa0 ? 0 : len;
}

dm_err dm_buf_put_shown(dm_buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	dm_err e = dm_buf_append(b, "", 0);

	for (size_t i = 0; i < n && !e;) {
		size_t len = s[i] >= 0x80 ? printable_utf8(s + i, n - i) : 0;

		if (len) {
			e = dm_buf_append(b, s + i, len);
			i += len;
		} else if (s[i] == '\\') {
			e = dm_buf_puts(b, "\\\\");
			i++;
		} else if (s[i] < 0x20 || s[i] >= 0x7f) {
			e = dm_buf_printf(b, "\\x%02x", s[i]);
			i++;
		} else {
			e = dm_buf_append(b, s + i, 1);
			i++;
		}
	}
	return e;
}

static dm_err mkdir_parents(const char *path)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return dm_fail(DM_ERR_IO, "path too long: '%s'", path);
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return dm_fail(DM_ERR_IO, "cannot create folder '%s': %s", tmp, strerror(errno));
		*p = '/';
	}
	return DM_OK;
}

dm_err dm_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[PATH_MAX];
	const char *p = data;
	size_t left = len;
	int fd;
	dm_err e;

	if ((e = mkdir_parents(path)) != DM_OK)
		return e;
	/* a fresh, unpredictable name created with O_EXCL: nothing planted there is followed */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return dm_fail(DM_ERR_IO, "path too long: '%s'", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return dm_fail(DM_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
	if (fchmod(fd, mode) != 0) {
		int err = errno;

		close(fd);
		unlink(tmp);
		return dm_fail(DM_ERR_IO, "cannot write '%s': %s", path, strerror(err));
	}
	while (left > 0) {
		ssize_t w = write(fd, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int err = errno;

			close(fd);
			unlink(tmp);
			return dm_fail(DM_ERR_IO, "cannot write '%s': %s", path, strerror(err));
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		int err = errno;

		unlink(tmp);
		return dm_fail(DM_ERR_IO, "cannot write '%s': %s", path, strerror(err));
	}
	if (rename(tmp, path) != 0) {
		int err = errno;

		unlink(tmp);
		return dm_fail(DM_ERR_IO, "cannot replace '%s': %s", path, strerror(err));
	}
	return DM_OK;
}

/* A lock file that is removed on release lets a waiter lock a file that is no longer
 * the one at the path: after taking the lock, the waiter checks that the path still
 * names the file it locked, and starts over when not. */
dm_err dm_lock_file(int *fd_out, const char *path, unsigned timeout_ms)
{
	char lock[PATH_MAX];
	double until = dm_now() + timeout_ms / 1000.0;
	dm_err e;

	*fd_out = -1;
	if ((e = mkdir_parents(path)) != DM_OK)
		return e;
	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock))
		return dm_fail(DM_ERR_IO, "path too long: '%s'", path);
	for (;;) {
		struct stat held, named;
		int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

		if (fd < 0)
			return dm_fail(DM_ERR_IO, "cannot lock '%s': %s", lock, strerror(errno));
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (fstat(fd, &held) == 0 && stat(lock, &named) == 0 && held.st_ino == named.st_ino &&
			    held.st_dev == named.st_dev) {
				*fd_out = fd;
				return DM_OK;
			}
			close(fd); /* released and removed while we waited: take the new one */
			continue;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int err = errno;

			close(fd);
			return dm_fail(DM_ERR_IO, "cannot lock '%s': %s", lock, strerror(err));
		}
		close(fd);
		if (dm_now() >= until)
			return dm_fail(DM_ERR_IO, "cannot lock '%s': another process has held it for %u s", lock,
				       timeout_ms / 1000);
		nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000 * 1000 }, NULL);
	}
}

void dm_unlock_file(int fd, const char *path)
{
	char lock[PATH_MAX];

	if (fd < 0)
		return;
	/* removed while still held, so nobody can lock the old file after this */
	if (snprintf(lock, sizeof(lock), "%s.lock", path) < (int)sizeof(lock))
		unlink(lock);
	close(fd);
}

/* dm_read_file with another cap (bytes). */
static dm_err read_file_max(char **out, size_t *outlen, const char *path, size_t max)
{
	dm_buf b = DM_BUF_INIT;
	char chunk[65536];
	struct stat st;
	int fd, err = 0;
	ssize_t n = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dm_fail(errno == ENOENT ? DM_ERR_NOTFOUND : DM_ERR_IO, "cannot read '%s': %s", path,
			       strerror(errno));
	/* a regular file says its size; a device or a /proc file is read up to the cap and one byte more */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
		goto too_large;
	while (b.len <= max) {
		size_t want = max + 1 - b.len < sizeof(chunk) ? max + 1 - b.len : sizeof(chunk);

		n = read(fd, chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dm_buf_append(&b, chunk, (size_t)n) != DM_OK) {
			close(fd);
			dm_buf_release(&b);
			return dm_nomem();
		}
	}
	if (b.len > max)
		goto too_large;
	if (n < 0) {
		err = errno;
		close(fd);
		dm_buf_release(&b);
		return dm_fail(DM_ERR_IO, "cannot read '%s': %s", path, strerror(err));
	}
	close(fd);
	if (outlen)
		*outlen = b.len;
	*out = dm_buf_detach(&b);
	return *out ? DM_OK : dm_nomem();
too_large:
	close(fd);
	dm_buf_release(&b);
	if (max >= (1u << 20) && max % (1u << 20) == 0)
		return dm_fail(DM_ERR_IO, "cannot read '%s': larger than %zu MiB", path, max >> 20);
	return dm_fail(DM_ERR_IO, "cannot read '%s': larger than %zu bytes", path, max);
}

dm_err dm_read_file(char **out, size_t *outlen, const char *path)
{
	return read_file_max(out, outlen, path, DM_READ_FILE_MAX);
}

int dm_fit_jobs_to_fd_limit(int jobs, int per_job, int fixed, unsigned long *limit)
{
	rlim_t need = (rlim_t)jobs * (rlim_t)per_job + (rlim_t)fixed;
	struct rlimit rl;
	int fitted = jobs;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		if (limit)
			*limit = 0;
		return jobs;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		struct rlimit raised = rl;

		raised.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
			rl = raised;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rlim_t room = rl.rlim_cur > (rlim_t)fixed ? rl.rlim_cur - (rlim_t)fixed : 0;

		fitted = (int)(room / (rlim_t)per_job);
		if (fitted < 1)
			fitted = 1;
	}
	if (limit)
		*limit = rl.rlim_cur == RLIM_INFINITY ? (unsigned long)-1 : (unsigned long)rl.rlim_cur;
	return fitted;
}

void dm_strv_free(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

void dm_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

void dm_free_secret(char *s)
{
	if (!s)
		return;
	dm_wipe(s, strlen(s));
	free(s);
}

void dm_md5(unsigned char out[16], const void *data, size_t n)
{
	unsigned int len = 16;

	EVP_Digest(data, n, out, &len, EVP_md5(), NULL);
}

double dm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

dm_err dm_xdg_path(char **out, dm_xdg kind, const char *name)
{
	const char *var = kind == DM_XDG_STATE ? "XDG_STATE_HOME" : "XDG_CONFIG_HOME";
	const char *xdg = getenv(var), *home = getenv("HOME");
	int n;

	*out = NULL;
	if (xdg && xdg[0] == '/')
		n = asprintf(out, "%s/dm/%s", xdg, name);
	else if (home && *home)
		n = asprintf(out, "%s/%s/dm/%s", home, kind == DM_XDG_STATE ? ".local/state" : ".config", name);
	else
		return dm_fail(DM_ERR_CONFIG, "neither %s nor HOME is set: no place for %s", var, name);
	if (n < 0) {
		*out = NULL;
		return dm_nomem();
	}
	return DM_OK;
}
