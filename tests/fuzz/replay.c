/* tests/fuzz/replay.c - runs a fuzz target's entry point over files, for
 * builds without libFuzzer (gcc, the plain and sanitizer test builds).
 * Usage: fuzz_replay_TARGET PATH...   (a folder: every file in it)
 * Exits 0 when every input ran; a broken invariant aborts. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t len = 0, cap = 0, r;

	if (!f) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		return 1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			data = realloc(data, cap);
			if (!data)
				abort();
		}
		r = fread(data + len, 1, cap - len, f);
		len += r;
	} while (r > 0);
	fclose(f);
	/* an exact-size copy, as libFuzzer hands it over */
	{
		unsigned char *exact = malloc(len ? len : 1);

		if (!exact)
			abort();
		memcpy(exact, data, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0, n = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: no such file or folder '%s'\n", argv[i]);
			bad = 1;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			struct dirent **ents;
			int m = scandir(argv[i], &ents, NULL, alphasort);

			if (m < 0) {
				fprintf(stderr, "replay: cannot list '%s'\n", argv[i]);
				bad = 1;
				continue;
			}
			for (int j = 0; j < m; j++) {
				char path[4096];

				if (ents[j]->d_name[0] != '.') {
					snprintf(path, sizeof(path), "%s/%s", argv[i], ents[j]->d_name);
					bad |= run_file(path);
					n++;
				}
				free(ents[j]);
			}
			free(ents);
		} else {
			bad |= run_file(argv[i]);
			n++;
		}
	}
	printf("replay: %d inputs ran\n", n);
	return bad;
}
