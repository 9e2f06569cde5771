/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef OCSM_RADIUS_H
#define OCSM_RADIUS_H

/*
 * RADIUS with radcli (doc/radius.md): the auth backend for
 * auth = radius[config=FILE,groupconfig=BOOL,nas-identifier=NAME], and the
 * sending of accounting records for acct = radius[config=FILE].
 *
 * radcli's calls block (a request waits radius_timeout x radius_retries for
 * each server of the configuration), so they run on sec-mod's pool threads
 * (offload.h), each on a radcli handle of its own: a client holds as many
 * handles as threads may use it at once, all read from the configuration
 * file before sec-mod gives up root. radcli reads a server's secret from
 * its `servers` file at each request; radius_client_open() takes the
 * secrets out of that file at once (a server written host:port:secret in
 * the configuration needs no file), so that neither the configuration nor
 * the servers file need be readable by run-as-user.
 */

#include <stdbool.h>
#include <stddef.h>

#include "sec-mod/acct.h"
#include "sec-mod/auth.h"

struct radius_client;

/* Read the radcli configuration at path `handles` times (1..16). NULL on
 * failure, with a sentence naming the file in err. */
struct radius_client *radius_client_open(const char *path, unsigned handles, char *err,
					 size_t errlen);
void radius_client_close(struct radius_client *c);

/* The backend's configuration (auth_factor.config). */
struct auth_radius_cfg {
	struct radius_client *client;
	bool groupconfig;               /* groups from Class (OU=) and Filter-Id */
	const char *nas_id;             /* NAS-Identifier; NULL: none */
};
extern const struct auth_backend auth_backend_radius;

/* Send r (blocking: call it off the loop) and wait for the server's
 * answer. now: for Acct-Delay-Time. true: answered; false: no answer or
 * an error (why in err). */
bool radius_acct_send(struct radius_client *c, const char *nas_id, const struct acct_record *r,
		      vpn_ms_t now, char *err, size_t errlen);

#endif
