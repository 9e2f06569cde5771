/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef COMMON_UTF8_H
#define COMMON_UTF8_H
/*
 * The one UTF-8 decoder of the tree, for everything that checks or escapes
 * text a peer sent: the XML login bodies, the log escaping, occtl's JSON.
 */
#include <stddef.h>
#include <stdint.h>

/* Decode the sequence at s[0..n) (n >= 1). Returns its length (1..4) and
 * the code point in *cp, or 0 when it is not well-formed UTF-8: a stray
 * continuation byte, an overlong form, a surrogate, a code point above
 * U+10FFFF, or a sequence cut short by n. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

#endif /* COMMON_UTF8_H */
