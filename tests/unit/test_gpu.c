/* tests/unit/test_gpu.c - the driver table, the check rules on hand-made
 * reports, and the image table (k8s/gpu-images.yaml). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dm/gpu.h>

/* ---- the driver table ---- */

static void test_gpu__version_cmp_is_numeric(void **state)
{
	(void)state;
	assert_true(dm_gpu_version_cmp("470.57.02", "525.60.13") < 0);
	assert_true(dm_gpu_version_cmp("525.60.13", "525.60.13") == 0);
	assert_true(dm_gpu_version_cmp("525.105.17", "525.60.13") > 0);
	assert_true(dm_gpu_version_cmp("580.65.06", "580") > 0);
	assert_true(dm_gpu_version_cmp("580", "580.0") == 0);
	assert_true(dm_gpu_version_cmp("450.80.02", "450.80.2") == 0);
	assert_true(dm_gpu_version_cmp("1000.1", "999.99.99") > 0);
}

static void test_gpu__min_driver_follows_release_notes(void **state)
{
	(void)state;
	assert_string_equal(dm_gpu_min_driver(9, 0), "384.81");
	assert_string_equal(dm_gpu_min_driver(10, 2), "440.33");
	assert_string_equal(dm_gpu_min_driver(11, 0), "450.51.05");
	assert_string_equal(dm_gpu_min_driver(11, 8), "520.61.05");
	assert_string_equal(dm_gpu_min_driver(12, 0), "525.60.13");
	assert_string_equal(dm_gpu_min_driver(12, 4), "550.54.14");
	assert_string_equal(dm_gpu_min_driver(12, 9), "575.51.03");
	assert_string_equal(dm_gpu_min_driver(13, 0), "580.65.06");
	/* 12.7 was never released: the next release up answers */
	assert_string_equal(dm_gpu_min_driver(12, 7), "570.26");
	assert_null(dm_gpu_min_driver(8, 0));
	assert_null(dm_gpu_min_driver(13, 1));
}

/* Every row of NVIDIA's table, written here from NVIDIA's CUDA Toolkit Release
 * Notes, table "CUDA Toolkit and Corresponding Driver Versions", column
 * "Toolkit Driver Version, Linux x86_64 Driver Version", GA row of each minor
 * release (https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/index.html,
 * and the archived notes of each release under
 * https://docs.nvidia.com/cuda/archive/X.Y.Z/cuda-toolkit-release-notes/),
 * not copied from libdm/gpu/check.c.  CUDA 12.7 was never released; 11.0's GA
 * is 11.0.2 (11.0.1 was a release candidate, >= 450.36.06). */
static const struct {
	int major, minor;
	const char *driver;
} nvidia_table[] = {
	{ 9, 0, "384.81" },     /* CUDA 9.0 (9.0.76) */
	{ 9, 1, "390.46" },     /* CUDA 9.1 (9.1.85) */
	{ 9, 2, "396.26" },     /* CUDA 9.2 (9.2.88) */
	{ 10, 0, "410.48" },    /* CUDA 10.0.130 */
	{ 10, 1, "418.39" },    /* CUDA 10.1 (10.1.105 general release, and updates) */
	{ 10, 2, "440.33" },    /* CUDA 10.2.89 */
	{ 11, 0, "450.51.05" }, /* CUDA 11.0.2 GA */
	{ 11, 1, "455.23" },    /* CUDA 11.1 GA */
	{ 11, 2, "460.27.03" }, /* CUDA 11.2.0 GA */
	{ 11, 3, "465.19.01" }, /* CUDA 11.3.0 GA */
	{ 11, 4, "470.42.01" }, /* CUDA 11.4.0 GA */
	{ 11, 5, "495.29.05" }, /* CUDA 11.5 GA */
	{ 11, 6, "510.39.01" }, /* CUDA 11.6 GA */
	{ 11, 7, "515.43.04" }, /* CUDA 11.7 GA */
	{ 11, 8, "520.61.05" }, /* CUDA 11.8 GA */
	{ 12, 0, "525.60.13" }, /* CUDA 12.0 GA */
	{ 12, 1, "530.30.02" }, /* CUDA 12.1 GA */
	{ 12, 2, "535.54.03" }, /* CUDA 12.2 GA */
	{ 12, 3, "545.23.06" }, /* CUDA 12.3 GA */
	{ 12, 4, "550.54.14" }, /* CUDA 12.4 GA */
	{ 12, 5, "555.42.02" }, /* CUDA 12.5 GA */
	{ 12, 6, "560.28.03" }, /* CUDA 12.6 GA */
	{ 12, 8, "570.26" },    /* CUDA 12.8 GA */
	{ 12, 9, "575.51.03" }, /* CUDA 12.9 GA */
	{ 13, 0, "580.65.06" }, /* CUDA 13.0 GA */
};
#define NVIDIA_ROWS (sizeof(nvidia_table) / sizeof(nvidia_table[0]))

/* The version just below v: its last number less one ("570.26" -> "570.25"). */
static void just_below(char *out, size_t n, const char *v)
{
	const char *dot = strrchr(v, '.');
	long last = strtol(dot + 1, NULL, 10);

	assert_true(last > 0);
	snprintf(out, n, "%.*s.%0*ld", (int)(dot + 1 - v) - 1, v, (int)strlen(dot + 1), last - 1);
}

/* Each row both ways: its driver is enough for its CUDA, the driver just below
 * it is not, and neither is the row before's; every minor version between two
 * rows (12.7) needs the next row's driver; nothing is known below 9.0. */
static void test_gpu__every_row_of_the_driver_table(void **state)
{
	char below[32];

	(void)state;
	for (size_t i = 0; i < NVIDIA_ROWS; i++) {
		int ma = nvidia_table[i].major, mi = nvidia_table[i].minor;
		const char *want = nvidia_table[i].driver, *got = dm_gpu_min_driver(ma, mi);

		if (!got || strcmp(got, want) != 0)
			fail_msg("CUDA %d.%d: table says %s, NVIDIA says %s", ma, mi, got ? got : "nothing", want);
		just_below(below, sizeof(below), want);
		if (dm_gpu_version_cmp(want, got) < 0)
			fail_msg("CUDA %d.%d: driver %s is not enough for it", ma, mi, want);
		if (dm_gpu_version_cmp(below, got) >= 0)
			fail_msg("CUDA %d.%d: driver %s, below %s, passes", ma, mi, below, want);
		if (i > 0 && dm_gpu_version_cmp(nvidia_table[i - 1].driver, got) >= 0)
			fail_msg("CUDA %d.%d: the driver of CUDA %d.%d (%s) passes", ma, mi, nvidia_table[i - 1].major,
				 nvidia_table[i - 1].minor, nvidia_table[i - 1].driver);
		/* minors with no release of their own, up to this row */
		if (i > 0 && nvidia_table[i - 1].major == ma)
			for (int gap = nvidia_table[i - 1].minor + 1; gap < mi; gap++) {
				got = dm_gpu_min_driver(ma, gap);
				if (!got || strcmp(got, want) != 0)
					fail_msg("CUDA %d.%d (never released): %s, want the next release's %s", ma, gap,
						 got ? got : "nothing", want);
			}
	}
	for (int mi = 0; mi < 10; mi++)
		assert_null(dm_gpu_min_driver(8, mi));
}

static void test_gpu__minor_compat_floors(void **state)
{
	(void)state;
	assert_null(dm_gpu_minor_compat_floor(10));
	assert_string_equal(dm_gpu_minor_compat_floor(11), "450.80.02");
	assert_string_equal(dm_gpu_minor_compat_floor(12), "525.60.13");
	assert_string_equal(dm_gpu_minor_compat_floor(13), "580");
}

static void test_gpu__cc_floor_per_toolkit(void **state)
{
	int ma, mi;

	(void)state;
	dm_gpu_cc_floor(9, &ma, &mi);
	assert_int_equal(ma * 10 + mi, 30);
	dm_gpu_cc_floor(10, &ma, &mi);
	assert_int_equal(ma * 10 + mi, 30);
	dm_gpu_cc_floor(11, &ma, &mi);
	assert_int_equal(ma * 10 + mi, 35);
	dm_gpu_cc_floor(12, &ma, &mi);
	assert_int_equal(ma * 10 + mi, 50);
	dm_gpu_cc_floor(13, &ma, &mi);
	assert_int_equal(ma * 10 + mi, 75);
	dm_gpu_cc_floor(0, &ma, &mi);
	assert_int_equal(ma, 0);
}

static void test_gpu__parse_xy(void **state)
{
	int ma = -1, mi = -1;

	(void)state;
	assert_int_equal(dm_gpu_parse_xy("12.0", &ma, &mi), DM_OK);
	assert_int_equal(ma, 12);
	assert_int_equal(mi, 0);
	assert_int_equal(dm_gpu_parse_xy("9", &ma, &mi), DM_OK);
	assert_int_equal(ma, 9);
	assert_int_equal(mi, 0);
	assert_int_equal(dm_gpu_parse_xy("11.8", &ma, &mi), DM_OK);
	assert_int_equal(mi, 8);
	assert_int_equal(dm_gpu_parse_xy("11.", &ma, &mi), DM_ERR_USAGE);
	assert_int_equal(dm_gpu_parse_xy("x11", &ma, &mi), DM_ERR_USAGE);
	assert_int_equal(dm_gpu_parse_xy("11.8.1", &ma, &mi), DM_ERR_USAGE);
	assert_int_equal(dm_gpu_parse_xy("", &ma, &mi), DM_ERR_USAGE);
	assert_int_equal(dm_gpu_parse_xy("-1", &ma, &mi), DM_ERR_USAGE);
}

/* ---- rules on hand-made reports ---- */

static dm_gpu_report *report(const char *driver, int cuda_version, int n)
{
	dm_gpu_report *r = calloc(1, sizeof(*r));
	int i;

	assert_non_null(r);
	r->nvml.soname = "libnvidia-ml.so.1";
	r->cuda.soname = "libcuda.so.1";
	r->nvml.loaded = r->cuda.loaded = 1;
	strcpy(r->driver_version, driver);
	r->driver_version_from = r->cuda_version_from = "";
	r->cuda_version = cuda_version;
	r->nvml_count = r->cuda_count = n;
	r->k8s_allocatable = r->k8s_capacity = DM_GPU_UNKNOWN;
	r->ctk_path = strdup("/usr/bin/nvidia-ctk");
	r->devices = calloc((size_t)n + 1, sizeof(*r->devices));
	r->n_devices = (size_t)n;
	for (i = 0; i < n; i++) {
		dm_gpu_device *d = &r->devices[i];

		d->index = d->cuda_index = d->minor = i;
		snprintf(d->name, sizeof(d->name), "Tesla T4");
		d->cc_major = 7;
		d->cc_minor = 5;
		d->mem_total = 16LL << 30;
		d->mem_free = 15LL << 30;
		d->mig_mode = d->mig_pending = DM_GPU_UNKNOWN;
		d->compute_mode = DM_GPU_COMPUTE_DEFAULT;
		d->ecc_mode = 1;
		d->ecc_uncorrected_volatile = 0;
	}
	return r;
}

static dm_gpu_verdict *judge(const dm_gpu_report *r, const dm_gpu_check_opts *o)
{
	dm_gpu_verdict *v = NULL;

	assert_int_equal(dm_gpu_check(&v, r, o), DM_OK);
	assert_non_null(v);
	return v;
}

static void test_gpu__new_enough_driver_is_ready(void **state)
{
	dm_gpu_report *r = report("550.54.14", 12040, 2);
	dm_gpu_check_opts o = DM_GPU_CHECK_OPTS_INIT;
	dm_gpu_verdict *v;

	(void)state;
	o.cuda_major = 12;
	o.cuda_minor = 4;
	v = judge(r, &o);
	assert_true(v->ready);
	assert_int_equal(v->ready_devices, 2);
	assert_int_equal(v->n_reasons, 0);
	assert_string_equal(v->min_driver, "550.54.14");
	dm_gpu_verdict_free(v);
	dm_gpu_report_free(r);
}

static void test_gpu__minor_compat_passes_with_warning(void **state)
{
	dm_gpu_report *r = report("525.60.13", 12000, 1);
	dm_gpu_check_opts o = DM_GPU_CHECK_OPTS_INIT;
	dm_gpu_verdict *v;

	(void)state;
	o.cuda_major = 12;
	o.cuda_minor = 2;
	v = judge(r, &o);
	assert_true(v->ready);
	assert_true(v->minor_compat);
	assert_int_equal(v->n_reasons, 1);
	assert_int_equal(v->reasons[0].severity, DM_GPU_WARNING);
	assert_string_equal(v->reasons[0].code, "minor-version-compat");
	assert_non_null(strstr(v->reasons[0].message, "install driver 535.54.03 or newer"));
	dm_gpu_verdict_free(v);
	dm_gpu_report_free(r);
}

static void test_gpu__below_minor_compat_floor_fails(void **state)
{
	/* the 11.0 GA driver predates the 11.x minor-compatibility floor */
	dm_gpu_report *r = report("450.51.05", 11000, 1);
	dm_gpu_check_opts o = DM_GPU_CHECK_OPTS_INIT;
	dm_gpu_verdict *v;

	(void)state;
	o.cuda_major = 11;
	o.cuda_minor = 2;
	v = judge(r, &o);
	assert_false(v->ready);
	assert_string_equal(v->reasons[0].code, "driver-too-old");
	assert_non_null(strstr(v->reasons[0].message, "needs driver 460.27.03 or newer"));
	assert_non_null(strstr(v->reasons[0].message, "at least 450.80.02"));
	dm_gpu_verdict_free(v);
	dm_gpu_report_free(r);
}

static void test_gpu__before_cuda11_there_is_no_minor_compat(void **state)
{
	dm_gpu_report *r = report("410.48", 10000, 1);
	dm_gpu_check_opts o = DM_GPU_CHECK_OPTS_INIT;
	dm_gpu_verdict *v;

	(void)state;
	o.cuda_major = 10;
	o.cuda_minor = 1;
	v = judge(r, &o);
	assert_false(v->ready);
	assert_string_equal(v->reasons[0].code, "driver-too-old");
	assert_non_null(strstr(v->reasons[0].message, "CUDA 10.1 needs driver 418.39 or newer"));
	dm_gpu_verdict_free(v);
	dm_gpu_report_free(r);
}

static void test_gpu__image_raises_cuda_and_cc(void **state)
{
	dm_gpu_report *r = report("470.57.02", 11040, 1);
	dm_gpu_check_opts o = DM_GPU_CHECK_OPTS_INIT;
	dm_gpu_image img;
	dm_gpu_verdict *v;

	(void)state;
	memset(&img, 0, sizeof(img));
	img.name = (char *)"test";
	img.cuda_major = 12;
	img.cuda_minor = 0;
	img.min_cc_major = 8;
	o.cuda_major = 11; /* the image asks for more: it wins */
	o.image = &img;
	v = judge(r, &o);
	assert_int_equal(v->cuda_major, 12);
	assert_string_equal(v->cuda_from, "the image"); /* plain words: libdm names no flag */
	assert_int_equal(v->cc_major, 8);
	assert_false(v->ready);
	assert_int_equal(v->n_reasons, 2);
	assert_string_equal(v->reasons[0].code, "driver-too-old");
	assert_string_equal(v->reasons[1].code, "cc-too-low");
	assert_int_equal(v->reasons[1].device, 0);
	assert_int_equal(v->ready_devices, 0);
	dm_gpu_verdict_free(v);
	dm_gpu_report_free(r);
}

static void test_gpu__device_problems_name_the_device(void **state)
{
	dm_gpu_report *r = report("535.54.03", 12020, 4);
	dm_gpu_check_opts o = DM_GPU_CHECK_OPTS_INIT;
	dm_gpu_verdict *v;

	(void)state;
	r->devices[0].mig_mode = 1;
	r->devices[1].compute_mode = DM_GPU_COMPUTE_PROHIBITED;
	r->devices[2].ecc_uncorrected_volatile = 2;
	r->devices[3].mem_free = 1LL << 30;
	o.min_memory = 4ULL << 30;
	v = judge(r, &o);
	assert_false(v->ready);
	assert_int_equal(v->ready_devices, 0);
	assert_int_equal(v->n_reasons, 4);
	assert_string_equal(v->reasons[0].code, "mig-enabled");
	assert_int_equal(v->reasons[0].device, 0);
	assert_string_equal(v->reasons[1].code, "compute-prohibited");
	assert_int_equal(v->reasons[1].device, 1);
	assert_string_equal(v->reasons[2].code, "ecc-errors");
	assert_int_equal(v->reasons[2].device, 2);
	assert_string_equal(v->reasons[3].code, "low-memory");
	assert_int_equal(v->reasons[3].device, 3);
	assert_non_null(strstr(v->reasons[3].message, "1.0 GiB free, below the minimum free memory of 4.0 GiB"));
	dm_gpu_verdict_free(v);
	/* a caller names the source in its own words (dm-gpu: its flags) */
	o.label.min_memory = "--min-memory";
	o.label.image = "--image";
	v = judge(r, &o);
	assert_non_null(strstr(v->reasons[3].message, "1.0 GiB free, below --min-memory 4.0 GiB"));
	dm_gpu_verdict_free(v);
	dm_gpu_report_free(r);
}

static void test_gpu__unknown_fields_are_not_failures(void **state)
{
	dm_gpu_report *r = report("384.81", 9000, 1);
	dm_gpu_check_opts o = DM_GPU_CHECK_OPTS_INIT;
	dm_gpu_verdict *v;

	(void)state;
	r->devices[0].mig_mode = r->devices[0].compute_mode = DM_GPU_UNKNOWN;
	r->devices[0].ecc_uncorrected_volatile = DM_GPU_UNKNOWN;
	r->devices[0].mem_free = DM_GPU_UNKNOWN;
	o.cuda_major = 9;
	o.min_memory = 1ULL << 30;
	v = judge(r, &o);
	assert_true(v->ready);
	assert_int_equal(v->n_reasons, 1);
	assert_string_equal(v->reasons[0].code, "memory-unknown");
	assert_int_equal(v->reasons[0].severity, DM_GPU_WARNING);
	dm_gpu_verdict_free(v);
	dm_gpu_report_free(r);
}

static void test_gpu__mismatch_wins_over_no_device(void **state)
{
	dm_gpu_report *r = report("", 0, 0);
	dm_gpu_verdict *v;

	(void)state;
	r->nvml.init_rc = 18;
	r->cuda.init_rc = 100;
	strcpy(r->nvml.file_version, "550.54.14");
	strcpy(r->kernel_module_version, "535.54.03");
	v = judge(r, NULL);
	assert_int_equal(v->n_reasons, 1);
	assert_string_equal(v->reasons[0].code, "version-mismatch");
	assert_non_null(strstr(v->reasons[0].message, "driver library 550.54.14 does not match the loaded "
						      "kernel module 535.54.03"));
	dm_gpu_verdict_free(v);
	dm_gpu_report_free(r);
}

static void test_gpu__smoke_without_toolkit_is_a_reason(void **state)
{
	dm_gpu_report *r = report("550.54.14", 12040, 1);
	dm_gpu_check_opts o = DM_GPU_CHECK_OPTS_INIT;
	dm_gpu_smoke_result s;
	dm_gpu_verdict *v;

	(void)state;
	o.smoke = 1;
	v = judge(r, &o);
	assert_false(v->ready);
	assert_string_equal(v->reasons[0].code, "smoke-unavailable");
	dm_gpu_verdict_free(v);

	memset(&s, 0, sizeof(s));
	s.cuda_index = 0;
	strcpy(s.error, "cudaMalloc: out of memory");
	o.smoke_built = 1;
	o.smoke_results = &s;
	o.n_smoke = 1;
	v = judge(r, &o);
	assert_false(v->ready);
	assert_int_equal(v->n_reasons, 1);
	assert_string_equal(v->reasons[0].code, "smoke-failed");
	assert_int_equal(v->reasons[0].device, 0);
	assert_int_equal(v->ready_devices, 0);
	dm_gpu_verdict_free(v);
	dm_gpu_report_free(r);
}

/* ---- the image table ---- */

static dm_gpu_images *repo_table(void)
{
	dm_gpu_images *t = NULL;

	assert_int_equal(dm_gpu_images_load_file(&t, DM_SOURCE_DIR "/k8s/gpu-images.yaml"), DM_OK);
	return t;
}

static void test_gpu__images_find_by_name_and_reference(void **state)
{
	dm_gpu_images *t = repo_table();
	dm_gpu_image *img = NULL;

	(void)state;
	assert_true(dm_gpu_images_count(t) >= 3);
	/* dm's own GPU notebook (images/notebooks/pydl_gpu_env), by name and as build.sh tags it */
	assert_int_equal(dm_gpu_images_find(&img, t, "pydl_gpu_env"), DM_OK);
	assert_int_equal(img->cuda_major * 10 + img->cuda_minor, 121);
	dm_gpu_image_free(img);
	assert_int_equal(dm_gpu_images_find(&img, t, "localhost:5000/data-mill/pydl_gpu_env:2026.12.0"), DM_OK);
	assert_string_equal(img->name, "pydl_gpu_env");
	assert_int_equal(img->cuda_major * 10 + img->cuda_minor, 121);
	dm_gpu_image_free(img);
	/* the original Data-Mill's image of that name, on Docker Hub, is CUDA 9.0 */
	assert_int_equal(dm_gpu_images_find(&img, t, "docker.io/datamillcloud/pydl_gpu_env:0.1"), DM_OK);
	assert_string_equal(img->name, "data-mill-0.x-pydl_gpu_env");
	assert_int_equal(img->cuda_major * 10 + img->cuda_minor, 90);
	dm_gpu_image_free(img);
	assert_int_equal(dm_gpu_images_find(&img, t,
					    "gcr.io/kubeflow-images-public/tensorflow-1.10.1-notebook-gpu:v0.4.0"),
			 DM_OK);
	assert_int_equal(img->cuda_major * 10 + img->cuda_minor, 90);
	dm_gpu_image_free(img);
	assert_int_equal(dm_gpu_images_find(&img, t, "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04"), DM_OK);
	assert_int_equal(img->cuda_major, 11);
	assert_int_equal(img->cuda_minor, 8);
	dm_gpu_image_free(img);
	assert_int_equal(dm_gpu_images_find(&img, t, "nvidia/cuda:latest"), DM_ERR_NOTFOUND);
	assert_null(img);
	assert_int_equal(dm_gpu_images_find(&img, t, "jupyter/scipy-notebook"), DM_ERR_NOTFOUND);
	assert_non_null(strstr(dm_err_detail(), "known: data-mill-0.x-pydl_gpu_env, pydl_gpu_env, "));
	dm_gpu_images_free(t);
}

/* dm_gpu_images_count and dm_gpu_images_at are public so that a library user can show
 * every image the table knows (a picker, a "which images can this node run" list) in
 * the table's order, which is also the order dm_gpu_images_find matches in. */
static void test_gpu__images_are_listed_in_table_order(void **state)
{
	static const char two[] = "images:\n  - name: first\n    cuda: \"9.0\"\n"
				  "  - name: second\n    cuda: from-tag\n    images: [\"nvidia/cuda:*\"]\n";
	dm_gpu_images *t = NULL;
	const dm_gpu_image *img;

	(void)state;
	assert_int_equal(dm_gpu_images_load_string(&t, "t.yaml", two, strlen(two)), DM_OK);
	assert_int_equal(dm_gpu_images_count(t), 2);
	img = dm_gpu_images_at(t, 0);
	assert_non_null(img);
	assert_string_equal(img->name, "first");
	assert_int_equal(img->cuda_major * 10 + img->cuda_minor, 90);
	img = dm_gpu_images_at(t, 1);
	assert_non_null(img);
	assert_string_equal(img->name, "second");
	assert_true(img->cuda_from_tag);
	assert_int_equal(img->n_images, 1);
	assert_null(dm_gpu_images_at(t, 2));
	dm_gpu_images_free(t);
	assert_int_equal(dm_gpu_images_count(NULL), 0);
	assert_null(dm_gpu_images_at(NULL, 0));
}

static void test_gpu__images_reject_bad_tables_with_position(void **state)
{
	static const char unknown_key[] = "images:\n  - name: x\n    cuda: \"9.0\"\n    cudnn: 7\n";
	static const char bad_cuda[] = "images:\n  - name: x\n    cuda: nine\n";
	static const char dup[] = "images:\n  - name: x\n    cuda: \"9.0\"\n  - name: x\n    cuda: \"10.0\"\n";
	dm_gpu_images *t = NULL;

	(void)state;
	assert_int_equal(dm_gpu_images_load_string(&t, "t.yaml", unknown_key, strlen(unknown_key)), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "t.yaml:4:"));
	assert_non_null(strstr(dm_err_detail(), "cudnn"));
	assert_int_equal(dm_gpu_images_load_string(&t, "t.yaml", bad_cuda, strlen(bad_cuda)), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "t.yaml:3:"));
	assert_int_equal(dm_gpu_images_load_string(&t, "t.yaml", dup, strlen(dup)), DM_ERR_CONFIG);
	assert_non_null(strstr(dm_err_detail(), "listed twice"));
	assert_null(t);
}

/* ---- the cluster: nodes' allocatable GPUs and GPU feature discovery's labels ---- */

/* A NodeList of nodes "name|gpus|labels-json" ('' gpus: no such resource). */
static dm_gpu_cluster *cluster_of(const char *const *nodes)
{
	char json[8192];
	size_t o = 0;
	dm_gpu_cluster *c = NULL;

	o += (size_t)snprintf(json + o, sizeof(json) - o, "{\"kind\":\"NodeList\",\"items\":[");
	for (size_t i = 0; nodes[i]; i += 3) {
		char alloc[64] = "";

		if (*nodes[i + 1])
			snprintf(alloc, sizeof(alloc), ",\"nvidia.com/gpu\":\"%s\"", nodes[i + 1]);
		o += (size_t)snprintf(json + o, sizeof(json) - o,
				      "%s{\"metadata\":{\"name\":\"%s\",\"labels\":%s},"
				      "\"status\":{\"allocatable\":{\"cpu\":\"8\"%s}}}",
				      i ? "," : "", nodes[i], nodes[i + 2], alloc);
	}
	snprintf(json + o, sizeof(json) - o, "]}");
	assert_int_equal(dm_gpu_cluster_parse(&c, json, strlen(json)), DM_OK);
	return c;
}

static void test_gpu__driver_cuda_is_the_newest_the_driver_runs(void **state)
{
	(void)state;
	assert_int_equal(dm_gpu_driver_cuda("535.104.05"), 12020);
	assert_int_equal(dm_gpu_driver_cuda("550.54.14"), 12040);
	assert_int_equal(dm_gpu_driver_cuda("550.54.13"), 12030);
	assert_int_equal(dm_gpu_driver_cuda("384.81"), 9000);
	assert_int_equal(dm_gpu_driver_cuda("300.1"), 0);
	assert_int_equal(dm_gpu_driver_cuda(""), 0);
	assert_int_equal(dm_gpu_driver_cuda("abc"), 0);
}

static void test_gpu__cluster_reads_both_label_generations(void **state)
{
	static const char *const nodes[] = {
		"new",
		"4",
		"{\"nvidia.com/cuda.driver-version.full\":\"550.54.15\",\"nvidia.com/"
		"cuda.runtime-version.major\":\"12\","
		"\"nvidia.com/cuda.runtime-version.minor\":\"4\"}",
		"parts",
		"1",
		"{\"nvidia.com/cuda.driver-version.major\":\"535\",\"nvidia.com/cuda.driver-version.minor\":\"104\","
		"\"nvidia.com/cuda.driver-version.revision\":\"05\"}",
		"old",
		"2",
		"{\"nvidia.com/cuda.driver.major\":\"470\",\"nvidia.com/cuda.driver.minor\":\"57\","
		"\"nvidia.com/cuda.driver.rev\":\"02\",\"nvidia.com/cuda.runtime.major\":\"11\","
		"\"nvidia.com/cuda.runtime.minor\":\"4\"}",
		"bare",
		"",
		"{}",
		"junk",
		"x",
		"{\"nvidia.com/cuda.driver.major\":\"5x5\",\"nvidia.com/cuda.driver.minor\":\"1\"}",
		NULL
	};
	dm_gpu_cluster *c = cluster_of(nodes);

	(void)state;
	assert_int_equal(c->n, 5);
	assert_string_equal(c->nodes[0].name, "new");
	assert_int_equal(c->nodes[0].allocatable, 4);
	assert_string_equal(c->nodes[0].driver_version, "550.54.15");
	assert_int_equal(c->nodes[0].cuda_version, 12040);
	/* no CUDA label: from the driver table */
	assert_string_equal(c->nodes[1].driver_version, "535.104.05");
	assert_int_equal(c->nodes[1].cuda_version, 12020);
	assert_string_equal(c->nodes[2].driver_version, "470.57.02");
	assert_string_equal(c->nodes[2].driver_from, "nvidia.com/cuda.driver.*");
	assert_int_equal(c->nodes[2].cuda_version, 11040);
	assert_int_equal(c->nodes[3].allocatable, 0);
	assert_string_equal(c->nodes[3].driver_version, "");
	assert_int_equal(c->nodes[3].cuda_version, 0);
	/* a quantity that is no number, labels that are no numbers: unknown */
	assert_int_equal(c->nodes[4].allocatable, DM_GPU_UNKNOWN);
	assert_string_equal(c->nodes[4].driver_version, "");
	dm_gpu_cluster_free(c);
	assert_int_equal(dm_gpu_cluster_parse(&c, "{\"kind\":\"Status\"}", 17), DM_ERR_PARSE);
	assert_null(c);
}

static dm_gpu_verdict *judge_cluster(const dm_gpu_cluster *c, int major, int minor)
{
	dm_gpu_check_opts o = DM_GPU_CHECK_OPTS_INIT;
	dm_gpu_verdict *v = NULL;

	o.cuda_major = major;
	o.cuda_minor = minor;
	assert_int_equal(dm_gpu_check_cluster(&v, c, &o), DM_OK);
	return v;
}

static void test_gpu__cluster_without_gpus_is_not_ready(void **state)
{
	static const char *const cpu[] = { "a", "", "{}", "b", "0", "{}", NULL };
	static const char *const none[] = { NULL };
	dm_gpu_cluster *c = cluster_of(cpu);
	dm_gpu_verdict *v = judge_cluster(c, 0, 0);

	(void)state;
	assert_false(v->ready);
	assert_int_equal(v->n_reasons, 1);
	assert_string_equal(v->reasons[0].code, "no-allocatable-gpu");
	assert_non_null(strstr(v->reasons[0].message, "(2 nodes: 'a', 'b', allocatable 0)"));
	dm_gpu_verdict_free(v);
	dm_gpu_cluster_free(c);
	c = cluster_of(none);
	v = judge_cluster(c, 12, 1);
	assert_false(v->ready);
	assert_string_equal(v->reasons[0].message, "the cluster has no node, so none offers nvidia.com/gpu");
	dm_gpu_verdict_free(v);
	dm_gpu_cluster_free(c);
}

static void test_gpu__cluster_judges_each_gpu_node_by_its_driver(void **state)
{
	static const char *const nodes[] = {
		"unlabelled", "2", "{}",
		"old",        "1", "{\"nvidia.com/cuda.driver.major\":\"470\",\"nvidia.com/cuda.driver.minor\":\"57\"}",
		"compat",     "1", "{\"nvidia.com/cuda.driver-version.full\":\"525.85.12\"}",
		NULL
	};
	dm_gpu_cluster *c = cluster_of(nodes);
	dm_gpu_verdict *v;

	(void)state;
	/* no CUDA asked: any GPU node does */
	v = judge_cluster(c, 0, 0);
	assert_true(v->ready);
	assert_int_equal(v->ready_devices, 4);
	assert_int_equal(v->n_reasons, 0);
	dm_gpu_verdict_free(v);
	/* CUDA 12.1: the 525 node runs it through minor-version compatibility; the others
	 * are kept as warnings */
	v = judge_cluster(c, 12, 1);
	assert_true(v->ready);
	assert_int_equal(v->ready_devices, 1);
	assert_true(v->minor_compat);
	assert_int_equal(v->n_reasons, 3);
	assert_string_equal(v->reasons[0].code, "minor-version-compat");
	assert_non_null(strstr(v->reasons[0].message, "node 'compat': driver 525.85.12 supports CUDA 12.0"));
	assert_string_equal(v->reasons[1].code, "driver-version-unknown");
	assert_int_equal(v->reasons[1].severity, DM_GPU_WARNING);
	assert_string_equal(v->reasons[2].code, "driver-too-old");
	assert_int_equal(v->reasons[2].severity, DM_GPU_WARNING);
	dm_gpu_verdict_free(v);
	/* CUDA 13.0: no node runs it, each says why */
	v = judge_cluster(c, 13, 0);
	assert_false(v->ready);
	assert_int_equal(v->ready_devices, 0);
	assert_int_equal(v->n_reasons, 3);
	assert_string_equal(v->reasons[0].code, "driver-version-unknown");
	assert_int_equal(v->reasons[0].severity, DM_GPU_ERROR);
	assert_non_null(strstr(v->reasons[0].message, "node 'unlabelled': offers 2 nvidia.com/gpu, but no label"));
	assert_string_equal(v->reasons[1].code, "driver-too-old");
	assert_non_null(strstr(v->reasons[1].message, "node 'old': driver 470.57 supports CUDA 11.4, but CUDA 13.0"));
	assert_string_equal(v->reasons[2].code, "driver-too-old");
	dm_gpu_verdict_free(v);
	dm_gpu_cluster_free(c);
}

/* The GPU flavour's notebook (flavours/gpu_flavour/jupyterhub-gpu-values.yaml): dm-gpu knows it. */
static void test_gpu__images_know_the_gpu_flavours_notebook(void **state)
{
	dm_gpu_images *t = repo_table();
	dm_gpu_image *img = NULL;

	(void)state;
	assert_int_equal(dm_gpu_images_find(&img, t, "quay.io/jupyter/pytorch-notebook:cuda12-python-3.11"), DM_OK);
	assert_int_equal(img->cuda_major * 10 + img->cuda_minor, 121);
	dm_gpu_image_free(img);
	assert_int_equal(dm_gpu_images_find(&img, t, "quay.io/jupyter/pytorch-notebook:cuda11-2024-10-07"), DM_OK);
	assert_int_equal(img->cuda_major * 10 + img->cuda_minor, 118);
	dm_gpu_image_free(img);
	/* later cuda12 builds moved to other CUDA versions: not guessed */
	assert_int_equal(dm_gpu_images_find(&img, t, "quay.io/jupyter/pytorch-notebook:cuda12-2025-05-01"),
			 DM_ERR_NOTFOUND);
	dm_gpu_images_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpu__version_cmp_is_numeric),
		cmocka_unit_test(test_gpu__min_driver_follows_release_notes),
		cmocka_unit_test(test_gpu__every_row_of_the_driver_table),
		cmocka_unit_test(test_gpu__minor_compat_floors),
		cmocka_unit_test(test_gpu__cc_floor_per_toolkit),
		cmocka_unit_test(test_gpu__parse_xy),
		cmocka_unit_test(test_gpu__new_enough_driver_is_ready),
		cmocka_unit_test(test_gpu__minor_compat_passes_with_warning),
		cmocka_unit_test(test_gpu__below_minor_compat_floor_fails),
		cmocka_unit_test(test_gpu__before_cuda11_there_is_no_minor_compat),
		cmocka_unit_test(test_gpu__image_raises_cuda_and_cc),
		cmocka_unit_test(test_gpu__device_problems_name_the_device),
		cmocka_unit_test(test_gpu__unknown_fields_are_not_failures),
		cmocka_unit_test(test_gpu__mismatch_wins_over_no_device),
		cmocka_unit_test(test_gpu__smoke_without_toolkit_is_a_reason),
		cmocka_unit_test(test_gpu__images_find_by_name_and_reference),
		cmocka_unit_test(test_gpu__images_are_listed_in_table_order),
		cmocka_unit_test(test_gpu__images_reject_bad_tables_with_position),
		cmocka_unit_test(test_gpu__driver_cuda_is_the_newest_the_driver_runs),
		cmocka_unit_test(test_gpu__cluster_reads_both_label_generations),
		cmocka_unit_test(test_gpu__cluster_without_gpus_is_not_ready),
		cmocka_unit_test(test_gpu__cluster_judges_each_gpu_node_by_its_driver),
		cmocka_unit_test(test_gpu__images_know_the_gpu_flavours_notebook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
