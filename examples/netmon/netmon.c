/* SPDX-License-Identifier: MIT */
/* netmon: the proof of the broker design. This process holds CAP_NET_RAW; it opens a capture
 * socket per interface through libsbx and runs one sandboxed decoder per interface (zero
 * capabilities, its own empty network namespace, a seccomp allowlist that lets it receive on
 * the capture socket and write to its pipe and little else). One libevent loop, no threads,
 * nothing blocking in it: libsbx adds each worker's events to our loop.
 *
 *   netmon [--policy FILE] [--filter EXPR] [--max-restarts N] [--decoder PATH] [--count N]
 *          [--promisc] [--decoder-arg ARG]... [-v] IFACE...
 *
 * Files: monitor.c (one interface: config, worker, restarts, relaying lines), output.c (our
 * stdout, written without blocking the loop), decoder.c (the worker). */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "monitor.h"
#include "output.h"
#include "sbx.h"

#define MAX_IFACES 64
#define MAX_DECODER_ARGS 16
/* How long a stop may take before we free (kill and reap) the workers synchronously. */
#define STOP_GRACE_SECONDS 5

struct netmon {
	struct event_base *base;
	struct output *out;
	struct monitor *mons[MAX_IFACES];
	size_t n;
	bool stopping;
	struct event *ev_stop_deadline;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: netmon [OPTIONS] IFACE...\n"
		"Capture on each IFACE and decode the frames in a sandboxed worker per interface.\n"
		"\n"
		"  --policy FILE       the decoder's policy (default: netmon-decoder)\n"
		"  --filter EXPR       a pcap filter, compiled here and locked onto each capture socket\n"
		"  --max-restarts N    restarts in a row before giving up on an interface (default 5)\n"
		"  --decoder PATH      the decoder program (default: netmon-decoder beside netmon)\n"
		"  --count N           each decoder exits after N frames; netmon exits when all have\n"
		"  --promisc           put the interfaces into promiscuous mode\n"
		"  --decoder-arg ARG   one more argument for the decoder (repeatable)\n"
		"  --tcpdump           the decoder is an unmodified tcpdump (policy tcpdump, decoder\n"
		"                      tcpdump from PATH); its socket(AF_PACKET) is answered here\n"
		"  -v, --verbose       relay libsbx's debug log and granted audit events\n"
		"\n"
		"Needs CAP_NET_RAW (the decoders get none). SIGINT or SIGTERM stops every decoder and exits 0.\n");
}

static bool all_done(const struct netmon *nm)
{
	for (size_t i = 0; i < nm->n; i++) {
		enum monitor_state s = monitor_state(nm->mons[i]);
		if (s != MONITOR_FINISHED && s != MONITOR_GAVE_UP && s != MONITOR_STOPPED)
			return false;
	}
	return true;
}

static void on_monitor_done(struct monitor *m, void *userdata)
{
	(void)m;
	struct netmon *nm = userdata;
	if (all_done(nm))
		event_base_loopexit(nm->base, NULL);
}

static void on_output_drained(void *userdata)
{
	struct netmon *nm = userdata;
	for (size_t i = 0; i < nm->n; i++)
		monitor_resume(nm->mons[i]);
}

static void on_stop_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct netmon *nm = arg;
	output_printf(nm->out, "netmon: decoders did not end within %d s; freeing them", STOP_GRACE_SECONDS);
	event_base_loopexit(nm->base, NULL);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct netmon *nm = arg;
	if (nm->stopping)
		return;
	nm->stopping = true;
	output_printf(nm->out, "netmon: %s: stopping", strsignal((int)sig));
	struct timeval tv = { .tv_sec = STOP_GRACE_SECONDS, .tv_usec = 0 };
	(void)evtimer_add(nm->ev_stop_deadline, &tv);
	for (size_t i = 0; i < nm->n; i++)
		monitor_stop(nm->mons[i]);
	if (all_done(nm))
		event_base_loopexit(nm->base, NULL);
}

static bool iface_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= IFNAMSIZ || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || (unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static bool parse_uint(const char *s, unsigned long long max, unsigned long long *ret)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*ret = v;
	return true;
}

/* The default decoder sits beside this program in the build directory (and when installed). */
static int default_decoder(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -errno;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	if ((size_t)snprintf(buf, len, "%s/netmon-decoder", self) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* Fail early with a clear word rather than at the first capture socket. */
static bool have_net_raw(void)
{
	cap_t caps = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;
	if (caps) {
		(void)cap_get_flag(caps, CAP_NET_RAW, CAP_EFFECTIVE, &v);
		cap_free(caps);
	}
	return v == CAP_SET;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "filter", required_argument, NULL, 'f' },
		{ "max-restarts", required_argument, NULL, 'm' },
		{ "decoder", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "promisc", no_argument, NULL, 'P' },
		{ "decoder-arg", required_argument, NULL, 'a' },
		{ "tcpdump", no_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct monitor_opts opts = { .max_restarts = 5 };
	char *decoder_args[MAX_DECODER_ARGS];
	char decoder[PATH_MAX];
	unsigned long long v;
	int c;

	opts.decoder_args = decoder_args;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			opts.policy = optarg;
			break;
		case 'f':
			opts.filter = optarg;
			break;
		case 'm':
			if (!parse_uint(optarg, 1000000, &v)) {
				fprintf(stderr, "netmon: --max-restarts wants a number, not '%s'\n", optarg);
				return 2;
			}
			opts.max_restarts = (unsigned)v;
			break;
		case 'd':
			opts.decoder = optarg;
			break;
		case 'c':
			if (!parse_uint(optarg, UINT64_MAX, &v) || v == 0) {
				fprintf(stderr, "netmon: --count wants a positive number, not '%s'\n", optarg);
				return 2;
			}
			opts.count = v;
			break;
		case 'P':
			opts.promisc = true;
			break;
		case 'a':
			if (opts.n_decoder_args == MAX_DECODER_ARGS) {
				fprintf(stderr, "netmon: at most %d --decoder-arg\n", MAX_DECODER_ARGS);
				return 2;
			}
			decoder_args[opts.n_decoder_args++] = optarg;
			break;
		case 'T':
			opts.tcpdump = true;
			break;
		case 'v':
			opts.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (argc - optind > MAX_IFACES) {
		fprintf(stderr, "netmon: at most %d interfaces\n", MAX_IFACES);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		if (!iface_name_ok(argv[i])) {
			fprintf(stderr, "netmon: '%s' is not an interface name\n", argv[i]);
			return 2;
		}
		for (int j = optind; j < i; j++)
			if (strcmp(argv[i], argv[j]) == 0) {
				fprintf(stderr, "netmon: interface %s named twice\n", argv[i]);
				return 2;
			}
	}
	if (!opts.policy)
		opts.policy = opts.tcpdump ? "tcpdump" : "netmon-decoder";
	if (!opts.decoder && opts.tcpdump)
		opts.decoder = "tcpdump"; /* found in PATH by libsbx */
	if (!opts.decoder) {
		int r = default_decoder(decoder, sizeof(decoder));
		if (r < 0) {
			fprintf(stderr, "netmon: cannot find the decoder beside netmon (%s); use --decoder\n", strerror(-r));
			return 1;
		}
		opts.decoder = decoder;
	}
	if (!have_net_raw()) {
		fprintf(stderr, "netmon: needs CAP_NET_RAW to open capture sockets (run it as root)\n");
		return 1;
	}
	/* Our stdout may be a pipe whose reader leaves: that must end the writing, not us. */
	signal(SIGPIPE, SIG_IGN);

	int status = 1;
	struct netmon nm;
	memset(&nm, 0, sizeof(nm));
	struct event *ev_int = NULL, *ev_term = NULL;
	nm.base = event_base_new();
	if (!nm.base) {
		fprintf(stderr, "netmon: cannot create the event loop\n");
		return 1;
	}
	/* tcpdump mode lends fd 1 to each tcpdump for its spawn (monitor.c): our own output goes
	 * through a copy that stays ours. */
	int out_fd = opts.tcpdump ? fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3) : STDOUT_FILENO;
	int r = out_fd < 0 ? -errno : output_new(nm.base, out_fd, on_output_drained, &nm, &nm.out);
	if (r < 0) {
		fprintf(stderr, "netmon: output: %s\n", strerror(-r));
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		char err[1024];
		r = monitor_new(nm.base, argv[i], &opts, nm.out, on_monitor_done, &nm, &nm.mons[nm.n], err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "netmon: %s: %s\n", argv[i], err);
			goto out;
		}
		nm.n++;
	}
	ev_int = evsignal_new(nm.base, SIGINT, on_signal, &nm);
	ev_term = evsignal_new(nm.base, SIGTERM, on_signal, &nm);
	nm.ev_stop_deadline = evtimer_new(nm.base, on_stop_deadline, &nm);
	if (!ev_int || !ev_term || !nm.ev_stop_deadline || event_add(ev_int, NULL) < 0 ||
	    event_add(ev_term, NULL) < 0) {
		fprintf(stderr, "netmon: cannot watch signals\n");
		goto out;
	}

	output_printf(nm.out, "netmon: sbx %s, %zu interface%s, policy %s, decoder %s%s%s", sbx_version(), nm.n,
		      nm.n == 1 ? "" : "s", opts.policy, opts.decoder, opts.filter ? ", filter " : "",
		      opts.filter ? opts.filter : "");
	for (size_t i = 0; i < nm.n; i++)
		monitor_start(nm.mons[i]);
	if (!all_done(&nm) && event_base_dispatch(nm.base) < 0) {
		fprintf(stderr, "netmon: the event loop failed\n");
		goto out;
	}

	bool gave_up = false;
	for (size_t i = 0; i < nm.n; i++)
		gave_up |= monitor_state(nm.mons[i]) == MONITOR_GAVE_UP;
	/* Stopped by a signal: that is the normal end, whatever happened before. */
	status = nm.stopping || !gave_up ? 0 : 1;
	output_printf(nm.out, "netmon: exiting with status %d", status);

out:
	/* Workers before everything else: monitor_free kills and reaps any still running. */
	for (size_t i = 0; i < nm.n; i++)
		monitor_free(nm.mons[i]);
	if (ev_int)
		event_free(ev_int);
	if (ev_term)
		event_free(ev_term);
	if (nm.ev_stop_deadline)
		event_free(nm.ev_stop_deadline);
	output_free(nm.out);
	event_base_free(nm.base);
	return status;
}
