/* tools/common/hints.c - the tools' wording of libdm's remedy hints (dm/err.h, dm_hint): the one
 * table that names the tools' flags in libdm's messages.  dm_cli_init installs it. */
#include <stdio.h>

#include <dm/cli.h>

static const struct {
	dm_hint hint;
	const char *text; /* a printf format; %llu: the hint's number, where the hint has one */
	const char *many; /* when not NULL: the text when the number is not 1 */
} hints[] = {
	{ DM_HINT_PART_SIZE, ": raise --part-size", NULL },
	{ DM_HINT_DELETE_NEEDS_DIR, ": --delete needs a folder as SOURCE", NULL },
	{ DM_HINT_MAX_DELETE, " (--max-delete %llu or --max-delete all allows it)", NULL },
	{ DM_HINT_CONTEXT, "; choose one with --context", NULL },
	{ DM_HINT_KUBECONFIG, "; use --kubeconfig FILE or --in-cluster", NULL },
	{ DM_HINT_TIMEOUT, " (--timeout)", NULL },
	{ DM_HINT_WITH_NEEDS, ", or use --with-needs", NULL },
	{ DM_HINT_WITH_NEEDS_ADDS, " (--with-needs adds needed ones)", NULL },
	{ DM_HINT_ROOT, " (name the platform root with --root DIR or $DM_HOME)", NULL },
	{ DM_HINT_ROOT_GIVEN, " (--root)", NULL },
	{ DM_HINT_DELETE_NAMESPACE, ": --delete-namespace deletes nothing", NULL },
	{ DM_HINT_SKIP_GPU_CHECK, " (--skip-gpu-check installs without the check)", NULL },
	{ DM_HINT_SKIP_GPU_REFUSED, " (--skip-gpu-check installs it anyway)",
	  " (--skip-gpu-check installs them anyway)" },
	{ DM_HINT_CA_BUNDLE, "; use --ca-bundle FILE or --insecure", NULL },
	{ DM_HINT_CUDA, "; or give --cuda X.Y", NULL },
	{ DM_HINT_NODE, ": give --node NAME", NULL },
	{ DM_HINT_FLAVOUR, " (give -f FILE)", NULL },
	{ DM_HINT_MIRROR_STOP, ": stop it first (dm-cluster delete with the target that started it)", NULL },
};

void dm_cli_hint_text(dm_hint hint, unsigned long long n, char *out, size_t size)
{
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		if (hints[i].hint == hint) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(out, size, hints[i].many && n != 1 ? hints[i].many : hints[i].text, n);
#pragma GCC diagnostic pop
			return;
		}
	}
	if (size)
		out[0] = '\0';
}
