/* libdm/gpu/images.c - the table of notebook images and the CUDA they need
 * (k8s/gpu-images.yaml), read through the one YAML loader.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dm/gpu.h>
#include <dm/util.h>
#include <dm/yaml.h>
#include "internal.h"

struct dm_gpu_images {
	dm_gpu_image *items;
	size_t n;
};

static void image_release(dm_gpu_image *img)
{
	size_t i;

	free(img->name);
	for (i = 0; i < img->n_images; i++)
		free(img->images[i]);
	free(img->images);
	free(img->note);
}

void dm_gpu_images_free(dm_gpu_images *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		image_release(&t->items[i]);
	free(t->items);
	free(t);
}

void dm_gpu_image_free(dm_gpu_image *img)
{
	if (!img)
		return;
	image_release(img);
	free(img);
}

size_t dm_gpu_images_count(const dm_gpu_images *t)
{
	return t ? t->n : 0;
}

const dm_gpu_image *dm_gpu_images_at(const dm_gpu_images *t, size_t i)
{
	return t && i < t->n ? &t->items[i] : NULL;
}

static dm_err xy_field(const dm_yaml *doc, const dm_ynode *map, const char *key, int required, int *major, int *minor,
		       int allow_tag, int *from_tag)
{
	const char *s = NULL;
	dm_err err = dm_yaml_get_str(doc, map, key, required, &s);

	if (err != DM_OK || !s)
		return err;
	if (allow_tag && !strcmp(s, "from-tag")) {
		*from_tag = 1;
		return DM_OK;
	}
	if (dm_gpu_parse_xy(s, major, minor) != DM_OK || *major == 0)
		return dm_yaml_fail(doc, dm_yaml_get(map, key), "'%s' must be a version X.Y%s, not '%s'", key,
				    allow_tag ? " or from-tag" : "", s);
	return DM_OK;
}

static char *dup_or_null(const char *s, int *nomem)
{
	char *d = dm_strdup_null(s);

	*nomem |= s && !d;
	return d;
}

static dm_err load_doc(dm_gpu_images **out, const dm_yaml *doc)
{
	static const char *const top_keys[] = { "images", NULL };
	static const char *const item_keys[] = { "name", "images", "cuda", "min_cc", "note", NULL };
	const dm_ynode *root = dm_yaml_root(doc), *list;
	dm_gpu_images *t;
	dm_err err;
	size_t i, k;
	int nomem = 0;

	if ((err = dm_yaml_want_map(doc, root, "the image table", 0)) != DM_OK ||
	    (err = dm_yaml_check_keys(doc, root, "the image table", top_keys)) != DM_OK)
		return err;
	list = dm_yaml_get(root, "images");
	if (!list || list->kind != DM_YAML_SEQ)
		return dm_yaml_fail(doc, list ? list : root, "'images' must be a list");
	t = calloc(1, sizeof(*t));
	if (!t || !(t->items = calloc(list->len + 1, sizeof(*t->items)))) {
		free(t);
		return dm_nomem();
	}
	for (i = 0; i < list->len; i++) {
		const dm_ynode *it = list->vals[i];
		dm_gpu_image *img = &t->items[i];
		const char *name = NULL, *note = NULL, **pats = NULL;
		size_t npats = 0;

		t->n = i + 1;
		if ((err = dm_yaml_want_map(doc, it, "an image entry", 0)) != DM_OK ||
		    (err = dm_yaml_check_keys(doc, it, "an image entry", item_keys)) != DM_OK ||
		    (err = dm_yaml_get_str(doc, it, "name", 1, &name)) != DM_OK ||
		    (err = dm_yaml_get_str(doc, it, "note", 0, &note)) != DM_OK ||
		    (err = xy_field(doc, it, "cuda", 1, &img->cuda_major, &img->cuda_minor, 1, &img->cuda_from_tag)) !=
			    DM_OK ||
		    (err = xy_field(doc, it, "min_cc", 0, &img->min_cc_major, &img->min_cc_minor, 0, NULL)) != DM_OK ||
		    (err = dm_yaml_get_strlist(doc, it, "images", 0, &pats, &npats)) != DM_OK)
			goto fail;
		for (k = 0; k < i; k++) {
			if (!strcmp(t->items[k].name, name)) {
				err = dm_yaml_fail(doc, dm_yaml_get(it, "name"), "image '%s' is listed twice", name);
				free(pats);
				goto fail;
			}
		}
		img->name = dup_or_null(name, &nomem);
		img->note = dup_or_null(note, &nomem);
		img->images = calloc(npats + 1, sizeof(*img->images));
		nomem |= !img->images;
		for (k = 0; img->images && k < npats; k++) {
			img->images[k] = dup_or_null(pats[k], &nomem);
			img->n_images = k + 1;
		}
		free(pats);
		if (nomem) {
			err = dm_nomem();
			goto fail;
		}
	}
	*out = t;
	return DM_OK;
fail:
	dm_gpu_images_free(t);
	return err;
}

dm_err dm_gpu_images_load_file(dm_gpu_images **out, const char *path)
{
	dm_yaml *doc = NULL;
	dm_err err;

	*out = NULL;
	if ((err = dm_yaml_load_file(&doc, path)) != DM_OK)
		return err;
	err = load_doc(out, doc);
	dm_yaml_free(doc);
	return err;
}

dm_err dm_gpu_images_load_string(dm_gpu_images **out, const char *name, const char *text, size_t len)
{
	dm_yaml *doc = NULL;
	dm_err err;

	*out = NULL;
	if ((err = dm_yaml_load_string(&doc, name, text, len)) != DM_OK)
		return err;
	err = load_doc(out, doc);
	dm_yaml_free(doc);
	return err;
}

/* "docker.io/library/x" and "docker.io/x" name the same image as "x". */
static const char *strip_registry(const char *ref)
{
	if (!strncmp(ref, "docker.io/library/", 18))
		return ref + 18;
	if (!strncmp(ref, "docker.io/", 10))
		return ref + 10;
	return ref;
}

/* The tag's leading X.Y: "nvidia/cuda:11.8.0-cudnn8-runtime" -> 11.8. */
static int tag_version(const char *ref, int *major, int *minor)
{
	const char *colon = strrchr(ref, ':');
	const char *slash = strrchr(ref, '/');

	if (!colon || (slash && slash > colon))
		return 0;
	return sscanf(colon + 1, "%d.%d", major, minor) == 2 && *major > 0;
}

static dm_err copy_image(dm_gpu_image **out, const dm_gpu_image *src)
{
	dm_gpu_image *c = calloc(1, sizeof(*c));
	int nomem = 0;
	size_t i;

	if (!c)
		return dm_nomem();
	*c = *src;
	c->name = dup_or_null(src->name, &nomem);
	c->note = dup_or_null(src->note, &nomem);
	c->images = calloc(src->n_images + 1, sizeof(*c->images));
	nomem |= !c->images;
	c->n_images = 0;
	for (i = 0; c->images && i < src->n_images; i++) {
		c->images[i] = dup_or_null(src->images[i], &nomem);
		c->n_images = i + 1;
	}
	if (nomem) {
		dm_gpu_image_free(c);
		return dm_nomem();
	}
	*out = c;
	return DM_OK;
}

dm_err dm_gpu_images_find(dm_gpu_image **out, const dm_gpu_images *t, const char *name)
{
	const char *ref = strip_registry(name);
	const dm_gpu_image *hit = NULL;
	dm_buf known = DM_BUF_INIT;
	dm_err err;
	size_t i, k;

	*out = NULL;
	for (i = 0; t && i < t->n && !hit; i++) {
		if (!strcmp(t->items[i].name, name))
			hit = &t->items[i];
		for (k = 0; !hit && k < t->items[i].n_images; k++) {
			if (fnmatch(t->items[i].images[k], ref, 0) == 0)
				hit = &t->items[i];
		}
	}
	if (hit) {
		if ((err = copy_image(out, hit)) != DM_OK)
			return err;
		if (hit->cuda_from_tag && !tag_version(ref, &(*out)->cuda_major, &(*out)->cuda_minor)) {
			dm_gpu_image_free(*out);
			*out = NULL;
			return dm_fail(DM_ERR_NOTFOUND,
				       "image '%s' matches '%s', whose CUDA version comes from the tag, but the tag "
				       "does not start with X.Y",
				       name, hit->name);
		}
		return DM_OK;
	}
	for (i = 0; t && i < t->n; i++) {
		if (dm_buf_printf(&known, "%s%s", i ? ", " : "", t->items[i].name) != DM_OK) {
			dm_buf_release(&known);
			return dm_nomem();
		}
	}
	err = dm_fail_hint(DM_ERR_NOTFOUND, DM_HINT_CUDA, 0, "unknown image '%s' (known: %s)", name,
			   dm_buf_str(&known));
	dm_buf_release(&known);
	return err;
}
