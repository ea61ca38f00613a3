/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one metadata format: a JSON object with an integer "version"
 * (META_VERSION), written to a temporary file and renamed into place.  Used
 * by the instance `info` file, a build directory's `kdebug-state` and the
 * cache's `last-build` files and `build-stats`.  Files in another format
 * (the key=value files of older kdebugs) read as -EINVAL: callers treat
 * them as absent.
 */
#ifndef KDEBUG_META_H
#define KDEBUG_META_H

#include <jansson.h>
#include <sys/types.h>

#define META_VERSION 1

/* The text of OBJ with "version" set (OBJ is modified); malloc'd. */
char *meta_format(json_t *obj);
/* Parse TEXT: 0 and *out (a new reference), or -EINVAL when it is not a meta object. */
int meta_parse(const char *text, json_t **out);
/* meta_format() to PATH atomically with MODE; 0 or -errno. */
int meta_write_atomic(const char *path, json_t *obj, mode_t mode);
/* Read PATH: 0 and *out, -EINVAL when not a meta file, else -errno.  *out untouched on failure. */
int meta_read(const char *path, json_t **out);
/* OBJ's KEY when it is a string, else NULL. */
const char *meta_str(const json_t *obj, const char *key);

#endif
