// SPDX-License-Identifier: GPL-2.0
/* The one metadata format: versioned JSON objects, replaced atomically. */
#include "meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

char *meta_format(json_t *obj)
{
	json_object_set_new(obj, "version", json_integer(META_VERSION));
	char *s = json_dumps(obj, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (!s)
		abort();	/* out of memory, or a value that is not JSON */
	char *text = xasprintf("%s\n", s);
	free(s);
	return text;
}

int meta_parse(const char *text, json_t **out)
{
	json_t *obj = json_loads(text, JSON_REJECT_DUPLICATES, NULL);

	if (!json_is_object(obj) || !json_is_integer(json_object_get(obj, "version"))) {
		json_decref(obj);
		return -EINVAL;
	}
	*out = obj;
	return 0;
}

int meta_write_atomic(const char *path, json_t *obj, mode_t mode)
{
	char *text = meta_format(obj);
	int r = write_file_atomic(path, text, strlen(text), mode);

	free(text);
	return r;
}

int meta_read(const char *path, json_t **out)
{
	struct sbuf text = SBUF_INIT;
	int r = read_file_max(path, &text, 16 << 20);

	if (!r)
		r = meta_parse(text.buf, out);
	sbuf_release(&text);
	return r;
}

const char *meta_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}
