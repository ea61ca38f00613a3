// SPDX-License-Identifier: GPL-2.0
/*
 * Option names across kernel versions: renamed options, options that
 * became invisible and the choice members that turn them on.  See kconfig.h.
 */
#include "kconfig.h"
#include "kconfig-internal.h"

#include <stdlib.h>
#include <string.h>

enum map_kind {
	MAP_RENAMED,		/* name missing, other exists: use other */
	MAP_VIA_IF_NO_PROMPT,	/* name=y has no prompt: also request other=y */
	MAP_VIA_IF_EXISTS,	/* name=y: also request other=y when other exists */
	MAP_OFF_VIA,		/* name=n has no prompt: request other=y */
};

static const struct {
	const char *name, *other;
	enum map_kind kind;
	const char *why;
} name_map[] = {
	{ "STRICT_KERNEL_RWX", "DEBUG_RODATA", MAP_RENAMED,
	  "this kernel (before 4.11) calls STRICT_KERNEL_RWX DEBUG_RODATA" },
	{ "DEBUG_RODATA", "STRICT_KERNEL_RWX", MAP_RENAMED,
	  "DEBUG_RODATA is called STRICT_KERNEL_RWX since 4.11" },
	{ "STRICT_MODULE_RWX", "DEBUG_SET_MODULE_RONX", MAP_RENAMED,
	  "this kernel (before 4.11) calls STRICT_MODULE_RWX DEBUG_SET_MODULE_RONX" },
	{ "DEBUG_SET_MODULE_RONX", "STRICT_MODULE_RWX", MAP_RENAMED,
	  "DEBUG_SET_MODULE_RONX is called STRICT_MODULE_RWX since 4.11" },
	{ "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT", "DEBUG_INFO", MAP_RENAMED,
	  "this kernel (before 5.12) has no DWARF version choice; DEBUG_INFO=y is the same" },
	{ "DEBUG_INFO", "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT", MAP_VIA_IF_NO_PROMPT,
	  "since 5.18 DEBUG_INFO is set by the \"Debug information\" choice" },
	{ "DEBUG_INFO", "DEBUG_INFO_NONE", MAP_OFF_VIA,
	  "since 5.18 DEBUG_INFO is turned off by choosing DEBUG_INFO_NONE" },
	{ "FRAME_POINTER", "UNWINDER_FRAME_POINTER", MAP_VIA_IF_EXISTS,
	  "on x86 since 4.14 frame pointers come with the frame pointer unwinder" },
	{ "UNWINDER_FRAME_POINTER", "FRAME_POINTER", MAP_RENAMED,
	  "this kernel (before 4.14) has no unwinder choice; FRAME_POINTER=y is the same" },
};

void kconfig_map_names(struct kconfig *req, const struct kconfig_db *db, struct strvec *notes)
{
	for (size_t i = 0; i < ARRAY_SIZE(name_map); i++) {
		const struct kconfig_entry *e = kconfig_find(req, name_map[i].name);
		if (!e)
			continue;
		const char *name = name_map[i].name, *other = name_map[i].other;
		char *value = xstrdup(e->value), *origin = e->origin ? xstrdup(e->origin) : NULL;
		switch (name_map[i].kind) {
		case MAP_RENAMED:
			if (kconfig_db_defined(db, name) || !kconfig_db_defined(db, other))
				break;
			if (!kconfig_find(req, other)) {
				kconfig_set(req, other, value, origin);
				strvec_pushf(notes, "%s=%s requested as %s=%s: %s", name, value,
					     other, value, name_map[i].why);
			} else {
				strvec_pushf(notes, "%s dropped: %s", name, name_map[i].why);
			}
			kconfig_remove(req, name);
			break;
		case MAP_VIA_IF_NO_PROMPT:
		case MAP_VIA_IF_EXISTS:
			if (!kconfig_value_on(value) || !kconfig_db_defined(db, name) || !kconfig_db_defined(db, other))
				break;
			if (name_map[i].kind == MAP_VIA_IF_NO_PROMPT && kconfig_db_has_prompt(db, name))
				break;
			if (kconfig_find(req, other))
				break;	/* already requested, either way */
			/* Another member of the same choice requested on wins. */
			if (kconfig_db_choice(db, other)) {
				bool taken = false;
				for (size_t k = 0; k < req->n; k++)
					if (!strcmp(req->v[k].value, "y") &&
					    kconfig_db_choice(db, req->v[k].name) == kconfig_db_choice(db, other))
						taken = true;
				if (taken)
					break;
			}
			kconfig_set(req, other, "y", origin);
			strvec_pushf(notes, "%s=%s: also requesting %s=y (%s)", name, value, other,
				     name_map[i].why);
			break;
		case MAP_OFF_VIA:
			if (strcmp(value, "n") || !kconfig_db_defined(db, name) || !kconfig_db_defined(db, other) ||
			    kconfig_db_has_prompt(db, name))
				break;
			{
				/* Turning it off wins over other choice members. */
				unsigned ch = kconfig_db_choice(db, other);
				for (size_t k = 0; ch && k < req->n;)
					if (kconfig_db_choice(db, req->v[k].name) == ch &&
					    strcmp(req->v[k].name, other))
						kconfig_remove(req, req->v[k].name);
					else
						k++;
			}
			kconfig_set(req, other, "y", origin);
			strvec_pushf(notes, "%s=n: requesting %s=y instead (%s)", name, other,
				     name_map[i].why);
			break;
		}
		free(value);
		free(origin);
	}
	/* Several members of one choice requested on: the last request wins. */
	for (size_t i = req->n; i-- > 0;) {
		if (i >= req->n || strcmp(req->v[i].value, "y"))
			continue;
		unsigned ch = kconfig_db_choice(db, req->v[i].name);
		if (!ch)
			continue;
		for (size_t k = 0; k < i;) {
			if (!strcmp(req->v[k].value, "y") && kconfig_db_choice(db, req->v[k].name) == ch) {
				strvec_pushf(notes, "%s=y dropped: %s=y (requested later) is in the same choice",
					     req->v[k].name, req->v[i].name);
				kconfig_remove(req, req->v[k].name);
				i--;
			} else {
				k++;
			}
		}
	}
}

