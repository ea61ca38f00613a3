/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one content hash (SHA-256 from nettle): cache keys and "is it up to
 * date" stamps (a BusyBox tarball or tree, a root filesystem's inputs, a
 * .config), short stable names (source ids, MAC addresses) and hash table
 * slots.  Values are deterministic; shorter forms are prefixes of the digest.
 */
#ifndef KDEBUG_HASH_H
#define KDEBUG_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/sha2.h>

#define HASH_LEN SHA256_DIGEST_SIZE
#define HASH_HEX_LEN (2 * HASH_LEN)

struct hash {
	struct sha256_ctx ctx;
};

void hash_init(struct hash *h);
void hash_update(struct hash *h, const void *data, size_t len);
/* A string followed by its NUL, so that ("ab","c") != ("a","bc"). */
void hash_update_str(struct hash *h, const char *s);
/* A file's content; 0 or -errno. */
int hash_update_file(struct hash *h, const char *path);
void hash_final(struct hash *h, unsigned char out[HASH_LEN]);
/* The first hexlen (<= HASH_HEX_LEN) lowercase hex digits into out (hexlen + 1 bytes). */
void hash_final_hex(struct hash *h, char *out, size_t hexlen);
/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void hash_hex(const unsigned char *d, size_t n, char *out);
/* The first 32 bits of the hash of a string (without its NUL). */
uint32_t hash_str32(const char *s);

#endif
