/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SHA-256 (FIPS 180-4), for cache keys and "is it up to date" stamps: the
 * hash of a BusyBox tarball, of a root filesystem's inputs.
 */
#ifndef KDEBUG_SHA256_H
#define KDEBUG_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64

struct sha256 {
	uint32_t h[8];
	uint64_t total;		/* bytes hashed so far */
	unsigned char buf[64];
	size_t used;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
void sha256_final(struct sha256 *c, unsigned char out[SHA256_LEN]);
/* Convenience: lowercase hex of the digest into out (65 bytes). */
void sha256_final_hex(struct sha256 *c, char out[SHA256_HEX_LEN + 1]);
/* Hash a string followed by a NUL, so that ("ab","c") != ("a","bc"). */
void sha256_update_str(struct sha256 *c, const char *s);
/* Feed a file's content; 0 or -errno. */
int sha256_update_file(struct sha256 *c, const char *path);

#endif
