/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the configuration parser (src/common/conf.c).
 *
 * Invariants checked on every input:
 *  - the parser never crashes, leaks or reads outside the buffer (ASan/UBSan);
 *  - a rejected input always comes with a "NAME:..." error message;
 *  - an accepted input written back with config_write loads again, with no
 *    more warnings than the input had (value warnings such as max-same-clients
 *    above max-clients remain; ignored keys, duplicates and vhosts are gone),
 *    and writes back to the very same text (a fixed point).
 */
#include "config.h"

#include "common/conf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_warn(void *opaque, unsigned line, const char *key, const char *msg)
{
	(void)line;
	(void)key;
	if (strncmp(msg, "fuzz", 4))
		abort();
	++*(unsigned *)opaque;
}

static char *dump(const struct config *c, size_t *len)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, len);

	if (!f)
		abort();
	if (config_write(c, f))
		abort();
	fclose(f);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config a, b;
	unsigned nwarn = 0, first_warn;
	struct config_diag d = { .warn = on_warn, .opaque = &nwarn };
	char *da, *db;
	size_t la, lb;

	if (config_parse_buffer("fuzz", (const char *)data, size, &a, &d)) {
		if (strncmp(d.msg, "fuzz", 4) || a.path)
			abort();
		config_free(&a);
		return 0;
	}
	if (d.n_warnings != nwarn)
		abort();

	da = dump(&a, &la);
	first_warn = nwarn;
	nwarn = 0;
	if (config_parse_buffer("fuzz", da, la, &b, &d)) {
		fprintf(stderr, "written config does not load: %s\n---\n%s---\n", d.msg, da);
		abort();
	}
	if (nwarn > first_warn) {
		fprintf(stderr, "written config warns more (%u > %u)\n", nwarn, first_warn);
		abort();
	}
	db = dump(&b, &lb);
	if (la != lb || memcmp(da, db, la)) {
		fprintf(stderr, "not a fixed point:\n---\n%s---\n%s---\n", da, db);
		abort();
	}
	free(da);
	free(db);
	config_free(&a);
	config_free(&b);
	return 0;
}
