/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * The OTP factor of auth = plain[passwd=FILE,otp=FILE] (auth.h): HOTP and
 * TOTP one-time passwords checked by liboath against its users file
 *
 *   HOTP/T30  alice  -  3132333435363738393031323334353637383930
 *   (type, user, password ("-": none, the password is plain's), hex secret,
 *    then liboath's own counter, time and last OTP fields)
 *
 * After the password (a factor before it), the OTP is asked for in a
 * further form; as the only factor (plain[otp=FILE]), the login form's
 * password field carries it. liboath accepts a code within OTP_WINDOW steps
 * of the counter (HOTP) or of now (TOTP, both ways), refuses a code
 * already used (replay) and writes the new counter or time back: it
 * rewrites the file (FILE.new then rename, under FILE.lock), so the file
 * and its directory must be writable by sec-mod's user (run-as-user).
 * Checks run one at a time (liboath's lock is a POSIX record lock, which
 * does not exclude threads of one process), on the pool, never on the loop.
 */

#include "sec-mod/auth.h"

#include <errno.h>
#include <liboath/oath.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Steps either side of the expected one that liboath accepts. */
#define OTP_WINDOW 3u
/* The longest code we pass on (6 to 8 digits in practice). */
#define OTP_MAX_LEN 16u

static pthread_mutex_t otp_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t otp_once = PTHREAD_ONCE_INIT;
static int otp_init_rc;

static void otp_init(void)
{
	otp_init_rc = oath_init();
}

struct otp_job {
	struct auth_step *st;
	char *file;
	char *user;
	char code[OTP_MAX_LEN + 1];
	int rc;
};

static void otp_job_free(struct otp_job *j)
{
	explicit_bzero(j->code, sizeof(j->code));
	free(j->file);
	free(j->user);
	free(j);
}

static void otp_work(void *arg)
{
	struct otp_job *j = arg;
	time_t last = 0;

	pthread_once(&otp_once, otp_init);
	if (otp_init_rc != OATH_OK) {
		j->rc = otp_init_rc;
		return;
	}
	pthread_mutex_lock(&otp_mu);
	j->rc = oath_authenticate_usersfile(j->file, j->user, j->code, OTP_WINDOW, NULL, &last);
	pthread_mutex_unlock(&otp_mu);
	explicit_bzero(j->code, sizeof(j->code));
}

static void otp_done(void *arg, bool cancelled)
{
	struct otp_job *j = arg;
	struct auth_result r = { .verdict = AUTH_ACCEPT };

	if (!cancelled) {
		switch (j->rc) {
		case OATH_OK:
			break;
		case OATH_INVALID_OTP:
		case OATH_REPLAYED_OTP:
		case OATH_UNKNOWN_USER:
		case OATH_BAD_PASSWORD:
			r = (struct auth_result){ .verdict = AUTH_REJECT,
				.message = j->rc == OATH_REPLAYED_OTP ? "one-time password replayed"
					 : j->rc == OATH_UNKNOWN_USER ? "no OTP entry for the user"
					 : "wrong one-time password" };
			break;
		default:
			r = (struct auth_result){ .verdict = AUTH_ERROR,
						  .message = oath_strerror(j->rc) };
			break;
		}
		auth_step_done(j->st, &r);
	}
	otp_job_free(j);
}

/* Check code for the login of st. */
static void otp_check(struct auth_step *st, const char *code)
{
	const struct auth_otp_cfg *cfg = auth_step_config(st);
	struct otp_job *j = calloc(1, sizeof(*j));
	struct auth_result r = { .verdict = AUTH_ERROR, .message = "out of memory" };
	int rc;

	if (strlen(code) > OTP_MAX_LEN) {
		r = (struct auth_result){ .verdict = AUTH_REJECT, .message = "one-time password too long" };
		free(j);
		auth_step_done(st, &r);
		return;
	}
	if (j != NULL) {
		j->st = st;
		j->file = strdup(cfg->users_file);
		j->user = strdup(auth_step_info(st)->username);
		memcpy(j->code, code, strlen(code) + 1);
	}
	if (j == NULL || j->file == NULL || j->user == NULL) {
		if (j != NULL)
			otp_job_free(j);
		auth_step_done(st, &r);
		return;
	}
	rc = auth_step_submit(st, otp_work, otp_done, j);
	if (rc < 0) {
		otp_job_free(j);
		r = (struct auth_result){ .verdict = rc == -EBUSY ? AUTH_BUSY : AUTH_ERROR,
					  .message = strerror(-rc) };
		auth_step_done(st, &r);
	}
}

static void otp_start(struct auth_step *st, const char *answer)
{
	const struct auth_result ask = { .verdict = AUTH_CONTINUE, .prompt = "OTP:",
					 .message = "Enter your one-time password." };

	if (answer != NULL)
		otp_check(st, answer); /* the only factor: the form's password */
	else
		auth_step_done(st, &ask);
}

const struct auth_backend auth_backend_otp = {
	.name = "otp",
	.start = otp_start,
	.answer = otp_check,
};
