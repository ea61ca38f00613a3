// SPDX-License-Identifier: GPL-2.0
/* The one content hash: SHA-256 from nettle, with kdebug's conveniences. */
#include "hash.h"

#include <string.h>

#include "util.h"

void hash_init(struct hash *h)
{
	sha256_init(&h->ctx);
}

void hash_update(struct hash *h, const void *data, size_t len)
{
	sha256_update(&h->ctx, len, data);
}

void hash_update_str(struct hash *h, const char *s)
{
	hash_update(h, s, strlen(s) + 1);
}

static int update_chunk(void *arg, const void *data, size_t n)
{
	hash_update(arg, data, n);
	return 0;
}

int hash_update_file(struct hash *h, const char *path)
{
	return read_path_chunks(path, update_chunk, h);
}

void hash_final(struct hash *h, unsigned char out[HASH_LEN])
{
	sha256_digest(&h->ctx, HASH_LEN, out);
}

void hash_hex(const unsigned char *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void hash_final_hex(struct hash *h, char *out, size_t hexlen)
{
	unsigned char d[HASH_LEN];
	char full[HASH_HEX_LEN + 1];

	if (hexlen > HASH_HEX_LEN)
		hexlen = HASH_HEX_LEN;
	hash_final(h, d);
	hash_hex(d, HASH_LEN, full);
	memcpy(out, full, hexlen);
	out[hexlen] = '\0';
}

uint32_t hash_str32(const char *s)
{
	struct hash h;
	unsigned char d[HASH_LEN];

	hash_init(&h);
	hash_update(&h, s, strlen(s));
	hash_final(&h, d);
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}
