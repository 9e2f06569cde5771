/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/*
 * The worker's sandbox (sandbox.h): prctl, rlimits and the seccomp filter.
 */

#include "worker/sandbox.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"

/*
 * What a worker does once it serves its client: the event loop, TLS and
 * DTLS on the sockets main gave it, the tun device, IPC with main and
 * sec-mod, memory, time, randomness, signals, logging to stderr, exit.
 * doc/security.md lists the same names; keep both in step.
 */
static const int allowed[] = {
	/* I/O on descriptors it already has */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	SCMP_SYS(recvmmsg), SCMP_SYS(sendmmsg), SCMP_SYS(close), SCMP_SYS(fcntl),
	SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(shutdown),
	SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
	SCMP_SYS(getpeername),
	/* waiting */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl), SCMP_SYS(poll),
	SCMP_SYS(ppoll), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	/* time, identity, randomness */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
	SCMP_SYS(time), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(getrandom), SCMP_SYS(uname), SCMP_SYS(sysinfo), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(sched_yield), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
	/* memory */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
	SCMP_SYS(madvise), SCMP_SYS(futex),
	/* signals and the end */
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* Denied without killing: a lazy open in a library fails cleanly, and the
 * worker never needs a socket of its own (main hands it every one). */
static const int refused[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(socket),
};

static int sigsys_ipc_fd = -1;

static void put_str(char **p, const char *s)
{
	size_t n = strlen(s);

	memcpy(*p, s, n);
	*p += n;
}

static void put_num(char **p, long v)
{
	char tmp[24];
	int n = 0;

	if (v < 0) {
		*(*p)++ = '-';
		v = -v;
	}
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n > 0)
		*(*p)++ = tmp[--n];
}

/* The trap: tell main and stderr which system call, then die of SIGSYS.
 * Only async-signal-safe work: no allocation, no stdio. */
static void sigsys_handler(int sig, siginfo_t *si, void *uc)
{
	static uint8_t buf[64];
	SandboxViolation v = SANDBOX_VIOLATION__INIT;
	char line[128], *p = line;
	ssize_t n;

	v.syscall = (uint32_t)si->si_syscall;
	n = ipc_encode(IPC_SANDBOX_VIOLATION, &v.base, buf, sizeof(buf));
	if (n > 0 && sigsys_ipc_fd >= 0)
		(void)send(sigsys_ipc_fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	put_str(&p, "ocserv-modern-worker[");
	put_num(&p, (long)getpid());
	put_str(&p, "]: error: forbidden system call ");
	put_num(&p, (long)si->si_syscall);
	put_str(&p, ": killed by SIGSYS\n");
	(void)write(STDERR_FILENO, line, (size_t)(p - line));
	/* SA_RESETHAND made SIGSYS fatal again; it is delivered on return */
	(void)raise(SIGSYS);
}

/* kill and tgkill are allowed here whatever their target: self_prefix()
 * narrows them to the worker itself. So this filter names no PID, and the
 * zygote compiles it once for all the workers it forks. */
static int add_rules(scmp_filter_ctx ctx)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	for (size_t i = 0; r == 0 && i < sizeof(refused) / sizeof(refused[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), refused[i], 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 0);
	return r;
}

/* The list's filter as BPF (sandbox_prepare) and the native architecture's
 * audit number, which self_prefix() checks. */
static struct sock_filter *list_prog;
static unsigned short list_len;
static uint32_t native_arch;

/* libseccomp 2.5 exports to a descriptor only: a pipe holds the program
 * (at most BPF_MAXINSNS instructions, 32 KiB: less than a pipe's buffer). */
static int export_prog(scmp_filter_ctx ctx)
{
	size_t cap = BPF_MAXINSNS * sizeof(struct sock_filter), n = 0;
	uint8_t *buf = malloc(cap);
	int p[2], r;

	if (buf == NULL)
		return -ENOMEM;
	if (pipe(p) < 0) {
		free(buf);
		return -errno;
	}
	r = seccomp_export_bpf(ctx, p[1]);
	close(p[1]);
	while (r == 0) {
		ssize_t k = read(p[0], buf + n, cap - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			r = -errno;
		else if (k == 0 || (n += (size_t)k) == cap)
			break;
	}
	close(p[0]);
	if (r == 0 && (n == 0 || n % sizeof(struct sock_filter) != 0 || n == cap))
		r = -EINVAL;
	if (r < 0) {
		free(buf);
		return r;
	}
	list_prog = (struct sock_filter *)buf;
	list_len = (unsigned short)(n / sizeof(struct sock_filter));
	return 0;
}

int sandbox_prepare(void)
{
	scmp_filter_ctx ctx;
	int r;

	if (list_prog != NULL)
		return 0;
	native_arch = seccomp_arch_native();	/* SCMP_ARCH_* are AUDIT_ARCH_* */
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (ctx == NULL)
		return -ENOMEM;
	r = add_rules(ctx);
	if (r == 0)
		r = export_prog(ctx);
	seccomp_release(ctx);
	if (r < 0)
		log_err("sandbox: seccomp filter: %s", strerror(-r));
	return r;
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG0_LO offsetof(struct seccomp_data, args[0])
#define ARG0_HI (offsetof(struct seccomp_data, args[0]) + 4)
#else
#define ARG0_LO (offsetof(struct seccomp_data, args[0]) + 4)
#define ARG0_HI offsetof(struct seccomp_data, args[0])
#endif

/* What goes before the list's program: kill and tgkill of the native
 * architecture with another target than self trap; every other call, and
 * those two towards self, go on to the list's first instruction (PRE_LEN),
 * which allows them. Classic BPF jumps are relative and the list's program
 * loads what it tests itself, so it runs the same behind this prefix. One
 * filter, not two stacked: each filter costs the kernel a JIT compilation. */
#define PRE_LEN 10

static void self_prefix(struct sock_filter *f, pid_t self)
{
	const struct sock_filter pre[PRE_LEN] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, native_arch, 0, PRE_LEN - 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_kill, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_tgkill, 0, PRE_LEN - 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_LO),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)self, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_HI),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, PRE_LEN - 9, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	};

	memcpy(f, pre, sizeof(pre));
}

static int load_filter(int ipc_fd)
{
	struct sigaction sa;
	struct sock_fprog prog;
	struct sock_filter *f;
	int r;

	r = sandbox_prepare();
	if (r < 0)
		return r;
	if (list_len + PRE_LEN > BPF_MAXINSNS)
		return -E2BIG;
	f = calloc(list_len + PRE_LEN, sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	self_prefix(f, getpid());
	memcpy(f + PRE_LEN, list_prog, list_len * sizeof(*f));
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigsys_ipc_fd = ipc_fd;
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		free(f);
		return -errno;
	}
	/* no_new_privs is set (sandbox_apply): no privilege needed */
	prog = (struct sock_fprog){ .len = (unsigned short)(list_len + PRE_LEN), .filter = f };
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 ? -errno : 0;
	free(f);
	return r;
}

static int set_limit(int resource, rlim_t v)
{
	struct rlimit rl = { .rlim_cur = v, .rlim_max = v };

	return setrlimit(resource, &rl) < 0 ? -errno : 0;
}

#ifdef ENABLE_TEST_HOOKS
/*
 * Test builds only (--enable-test-hooks; tests/integration/test-sec-seccomp.sh):
 * when the file OCSM_TEST_FORBIDDEN_SYSCALL names exists, the worker makes
 * the system call written in it right after its filter is loaded.
 */
static char hook_call[32];

static void hook_prepare(void)
{
	const char *path = getenv("OCSM_TEST_FORBIDDEN_SYSCALL");
	FILE *f = path != NULL ? fopen(path, "r") : NULL;

	if (f == NULL)
		return;
	if (fgets(hook_call, sizeof(hook_call), f) == NULL)
		hook_call[0] = '\0';
	hook_call[strcspn(hook_call, "\n")] = '\0';
	fclose(f);
}

static void hook_fire(void)
{
	char *const argv[] = { "true", NULL };
	long r = 0;

	if (hook_call[0] == '\0')
		return;
	log_info("test hook: calling %s() under the sandbox", hook_call);
	if (!strcmp(hook_call, "execve"))
		r = execve("/bin/true", argv, argv + 1);
	else if (!strcmp(hook_call, "kill"))
		r = kill(getppid(), 0);
	else if (!strcmp(hook_call, "ptrace"))
		r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	else if (!strcmp(hook_call, "socket"))
		r = socket(AF_INET, SOCK_STREAM, 0);
	log_info("test hook: %s() returned %ld (%s)", hook_call, r,
		 r < 0 ? strerror(errno) : "success");
}
#else
static void hook_prepare(void)
{
}

static void hook_fire(void)
{
}
#endif

int sandbox_apply(bool seccomp, int ipc_fd)
{
	const char *step;
	int r;

	/* the log's time zone now: no file is opened for it later */
	tzset();
	step = "PR_SET_DUMPABLE";
	r = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ? -errno : 0;
	if (r == 0) {
		step = "PR_SET_NO_NEW_PRIVS";
		r = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
	}
	if (r == 0) {
		step = "rlimits";
		r = set_limit(RLIMIT_NOFILE, SANDBOX_MAX_FDS);
	}
	if (r == 0)
		r = set_limit(RLIMIT_CORE, 0);
	/* no fork: the limit counts every process of the user; without
	 * CAP_SYS_RESOURCE, 0 refuses any new one */
	if (r == 0)
		r = set_limit(RLIMIT_NPROC, 0);
	if (r == 0 && seccomp) {
		step = "seccomp filter";
		hook_prepare();
		r = load_filter(ipc_fd);
		if (r == 0)
			hook_fire();
	}
	if (r < 0)
		log_err("sandbox: %s: %s", step, strerror(-r));
	return r;
}

const char *sandbox_syscall_name(int nr, char *buf, unsigned len)
{
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

	snprintf(buf, len, "%s", name != NULL ? name : "unknown");
	free(name);
	return buf;
}
