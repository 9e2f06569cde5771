/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef VPN_TEST_UTIL_H
#define VPN_TEST_UTIL_H

/*
 * Shared helpers for the src/vpn unit tests: a scenario-table runner that
 * checks, after every step, the actions and the next deadline the table
 * expects plus the engine-wide invariants:
 *
 *   - after handle_expiry(now) the next deadline is later than now (or NEVER);
 *   - handle_expiry again at the same now returns 0 and changes nothing;
 *   - an event marked "rx" never brings the deadline earlier;
 *   - whatever the machine adds (ops->check), e.g. "the composed deadline is
 *     the minimum of the parts".
 *
 * Time is a plain integer; nothing here sleeps or reads a clock.
 */

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vpn/time.h"
#include "test-main.h"

/* Event 0 of every table is "run handle_expiry(t)". */
#define VPN_EV_EXPIRY 0

/* Expected-deadline wildcard for steps where only the actions matter. */
#define VPN_ANY_DEADLINE (VPN_NEVER - 1)

struct vpn_step {
	vpn_ms_t t_ms;		/* when the event happens */
	int event;		/* VPN_EV_EXPIRY or a machine-specific event */
	uint64_t arg;		/* event argument (machine-specific) */
	unsigned acts;		/* expected actions */
	vpn_ms_t next_ms;	/* expected expiry() after the step */
};

struct vpn_machine_ops {
	size_t size;		/* sizeof the machine, for snapshots */
	unsigned (*handle)(void *m, vpn_ms_t now);
	unsigned (*event)(void *m, int event, uint64_t arg, vpn_ms_t now);
	vpn_ms_t (*expiry)(const void *m);
	bool (*is_rx)(int event);	/* may be NULL: no rx invariant */
	void (*check)(const void *m);	/* may be NULL: extra invariant after each step */
};

/* Check the invariants that hold after handle_expiry(now) on m. */
static inline void vpn_check_after_expiry(const struct vpn_machine_ops *ops, void *m,
					  vpn_ms_t now, const char *where)
{
	vpn_ms_t next = ops->expiry(m);
	void *copy = malloc(ops->size);
	unsigned again;

	ck_assert_msg(next == VPN_NEVER || next > now,
		      "%s: deadline %llu not after now %llu", where,
		      (unsigned long long)next, (unsigned long long)now);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, m, ops->size);
	again = ops->handle(copy, now);
	ck_assert_msg(again == 0, "%s: second handle_expiry at %llu returned %#x", where,
		      (unsigned long long)now, again);
	ck_assert_msg(memcmp(copy, m, ops->size) == 0,
		      "%s: second handle_expiry at %llu changed the state", where,
		      (unsigned long long)now);
	free(copy);
}

/* Run a scenario table against m, checking expectations and invariants. */
static inline void vpn_run_steps(const struct vpn_machine_ops *ops, void *m,
				 const struct vpn_step *steps, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const struct vpn_step *s = &steps[i];
		vpn_ms_t before = ops->expiry(m);
		unsigned acts;
		vpn_ms_t next;

		if (s->event == VPN_EV_EXPIRY)
			acts = ops->handle(m, s->t_ms);
		else
			acts = ops->event(m, s->event, s->arg, s->t_ms);
		next = ops->expiry(m);
		ck_assert_msg(acts == s->acts, "%s step %zu (t=%llu ev=%d): actions %#x, want %#x",
			      name, i, (unsigned long long)s->t_ms, s->event, acts, s->acts);
		if (s->next_ms != VPN_ANY_DEADLINE)
			ck_assert_msg(next == s->next_ms,
				      "%s step %zu (t=%llu ev=%d): deadline %llu, want %llu", name,
				      i, (unsigned long long)s->t_ms, s->event,
				      (unsigned long long)next, (unsigned long long)s->next_ms);
		if (s->event == VPN_EV_EXPIRY)
			vpn_check_after_expiry(ops, m, s->t_ms, name);
		else if (ops->is_rx != NULL && ops->is_rx(s->event))
			ck_assert_msg(next >= before,
				      "%s step %zu (t=%llu): rx moved deadline %llu earlier to %llu",
				      name, i, (unsigned long long)s->t_ms,
				      (unsigned long long)before, (unsigned long long)next);
		if (ops->check != NULL)
			ops->check(m);
	}
}

#define VPN_STEPS(ops, m, table) \
	vpn_run_steps((ops), (m), (table), sizeof(table) / sizeof((table)[0]), #table)

#endif /* VPN_TEST_UTIL_H */
