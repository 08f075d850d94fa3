/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "sbx.h"

void sbx_cli_usage(FILE *out)
{
	fputs("Usage: sbx [OPTIONS] [--] PROGRAM [ARG...]\n"
	      "       sbx policy check FILE...\n"
	      "       sbx policy explain [--bpf] FILE\n"
	      "\n"
	      "Run PROGRAM as a zero-capability worker in fresh namespaces, under a seccomp policy.\n"
	      "\n"
	      "Options:\n"
	      "  --policy FILE|NAME     policy file, or a shipped policy name (default: built-in)\n"
	      "  --param NAME=VALUE     set a policy parameter ${NAME}\n"
	      "  --ro PATH              make host PATH visible read-only at the same place\n"
	      "  --rw PATH              make host PATH visible read-write at the same place\n"
	      "  --time-limit SECONDS   kill the sandbox after SECONDS (exit status 124)\n"
	      "  --memory-limit SIZE    address-space limit and memory cgroup (K/M/G suffixes)\n"
	      "  --pids-limit N         process limit (rlimit and pids cgroup)\n"
	      "  --user UID[:GID]       host uid/gid of the worker when sbx runs as root (default 65534)\n"
	      "  --subid NAME|self      a host uid/gid per worker from NAME's (or your own) range in\n"
	      "                         /etc/subuid and /etc/subgid\n"
	      "  --id-range UID:GID:N   host uid/gid from this range (root; unprivileged via newuidmap)\n"
	      "  --learn OUT.policy     allow and record every system call, write a policy to OUT\n"
	      "\n"
	      "Resources (opened by sbx, handed over as fds 3, 4, ...; SBX_FD_NAME=N in the environment):\n"
	      "  --file NAME=PATH[:MODE]      a file; MODE of r, w, c (create), t (truncate); default r\n"
	      "  --dir NAME=PATH[:MODE[:PATTERN]]  a directory (O_PATH); the worker may ask to open\n"
	      "                               paths below it matching PATTERN with at most MODE\n"
	      "  --capture NAME=IFACE[:promisc]  an AF_PACKET socket on IFACE ('any': all)\n"
	      "  --capture-filter EXPR        pcap filter for the last --capture, locked on the socket\n"
	      "  --connect NAME=ADDR          a connected socket: tcp:HOST:PORT, udp:HOST:PORT, unix:PATH\n"
	      "  --listen NAME=ADDR           a listening socket\n"
	      "  --fd N | --fd NAME=N         an fd sbx inherited\n"
	      "  --requests                   a request channel to the broker (SBX_FD_BROKER) even\n"
	      "                               without --dir or --capture\n"
	      "  --json-status-fd FD    write JSON lines (start, violations, exit) to FD\n"
	      "  --no-seccomp           DIAGNOSIS ONLY: run without the seccomp layer\n"
	      "  -v, --verbose          log each setup step to stderr\n"
	      "  -q, --quiet            print only errors\n"
	      "  -h, --help             show this help\n"
	      "  -V, --version          show the version\n"
	      "\n"
	      "Exit status: the program's own; 128+N if it died of signal N; 159 if the seccomp layer\n"
	      "stopped it; 124 on the time limit; 125 if sbx failed; 126 not executable; 127 not found.\n",
	      out);
}

static int bad(const char *opt, const char *value, const char *why)
{
	fprintf(stderr, "sbx: error: %s '%s': %s (see sbx --help)\n", opt, value, why);
	return -EINVAL;
}

static int parse_seconds(const char *s, uint64_t *ms)
{
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 1e9)
		return -EINVAL;
	*ms = (uint64_t)(v * 1000.0 + 0.5);
	if (*ms == 0)
		*ms = 1;
	return 0;
}

static int parse_ids(const char *s, uid_t *uid, gid_t *gid)
{
	char buf[64];
	if (sbx_strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -EINVAL;
	char *colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	uint64_t u, g;
	if (sbx_parse_u64(buf, &u) < 0 || u == 0 || u >= UINT32_MAX)
		return -EINVAL;
	g = u;
	if (colon && (sbx_parse_u64(colon + 1, &g) < 0 || g == 0 || g >= UINT32_MAX))
		return -EINVAL;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

static int parse_access(const char *s, unsigned *ret)
{
	unsigned a = 0;
	for (; *s; s++) {
		switch (*s) {
		case 'r': a |= SBX_ACCESS_READ; break;
		case 'w': a |= SBX_ACCESS_WRITE; break;
		case 'c': a |= SBX_ACCESS_CREATE | SBX_ACCESS_WRITE; break;
		case 't': a |= SBX_ACCESS_TRUNC | SBX_ACCESS_WRITE; break;
		default: return -EINVAL;
		}
	}
	*ret = a;
	return 0;
}

enum {
	OPT_POLICY = 256, OPT_RO, OPT_RW, OPT_TIME, OPT_MEM, OPT_PIDS, OPT_NO_SECCOMP,
	OPT_USER, OPT_PARAM, OPT_LEARN, OPT_JSON, OPT_FILE, OPT_DIR, OPT_CAPTURE, OPT_CAPTURE_FILTER,
	OPT_CONNECT, OPT_LISTEN, OPT_FD, OPT_REQUESTS, OPT_SUBID, OPT_ID_RANGE,
};

/* NAME=VALUE[:...] for the resource options. */
static int parse_resource(int opt, char *arg, struct sbx_cli *cli)
{
	const char *optname = opt == OPT_FILE ? "--file" : opt == OPT_DIR ? "--dir" : opt == OPT_CAPTURE ? "--capture"
			    : opt == OPT_CONNECT ? "--connect" : opt == OPT_LISTEN ? "--listen" : "--fd";
	if (cli->n_res >= SBX_CLI_MAX_PATHS)
		return bad(optname, arg, "too many resources");
	struct sbx_cli_res *r = &cli->res[cli->n_res];
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	char *eq = strchr(arg, '=');
	if (opt == OPT_FD && !eq) {
		/* --fd N: named FD_N */
		uint64_t n;
		if (sbx_parse_u64(arg, &n) < 0 || n < 3 || n > INT32_MAX)
			return bad(optname, arg, "expected N or NAME=N, an inherited fd >= 3");
		r->kind = CLI_RES_FD;
		r->fd = (int)n;
		snprintf(r->name, sizeof(r->name), "FD_%d", r->fd);
		cli->n_res++;
		return 0;
	}
	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(r->name))
		return bad(optname, arg, "expected NAME=VALUE");
	memcpy(r->name, arg, (size_t)(eq - arg));
	r->name[eq - arg] = '\0';
	char *value = eq + 1;
	if (!*value)
		return bad(optname, arg, "empty value");
	r->value = value;
	switch (opt) {
	case OPT_FILE:
	case OPT_DIR: {
		r->kind = opt == OPT_FILE ? CLI_RES_FILE : CLI_RES_DIR;
		r->access = SBX_ACCESS_READ;
		char *colon = strchr(value, ':');
		if (colon) {
			*colon = '\0';
			char *pattern = opt == OPT_DIR ? strchr(colon + 1, ':') : NULL;
			if (pattern) {
				*pattern = '\0';
				r->pattern = pattern + 1;
			}
			if (parse_access(colon + 1, &r->access) < 0 || !r->access)
				return bad(optname, arg, "MODE is made of r, w, c, t");
		}
		if (value[0] != '/')
			return bad(optname, arg, "PATH must be absolute");
		break;
	}
	case OPT_CAPTURE: {
		r->kind = CLI_RES_CAPTURE;
		char *colon = strchr(value, ':');
		if (colon) {
			*colon = '\0';
			if (strcmp(colon + 1, "promisc") != 0)
				return bad(optname, arg, "expected NAME=IFACE or NAME=IFACE:promisc");
			r->promisc = true;
		}
		break;
	}
	case OPT_CONNECT:
		r->kind = CLI_RES_CONNECT;
		break;
	case OPT_LISTEN:
		r->kind = CLI_RES_LISTEN;
		break;
	case OPT_FD: {
		uint64_t n;
		if (sbx_parse_u64(value, &n) < 0 || n > INT32_MAX)
			return bad(optname, arg, "expected NAME=N");
		r->kind = CLI_RES_FD;
		r->fd = (int)n;
		break;
	}
	}
	cli->n_res++;
	return 0;
}

int sbx_cli_parse(int argc, char **argv, struct sbx_cli *cli)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "ro", required_argument, NULL, OPT_RO },
		{ "rw", required_argument, NULL, OPT_RW },
		{ "time-limit", required_argument, NULL, OPT_TIME },
		{ "memory-limit", required_argument, NULL, OPT_MEM },
		{ "pids-limit", required_argument, NULL, OPT_PIDS },
		{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
		{ "user", required_argument, NULL, OPT_USER },
		{ "param", required_argument, NULL, OPT_PARAM },
		{ "learn", required_argument, NULL, OPT_LEARN },
		{ "json-status-fd", required_argument, NULL, OPT_JSON },
		{ "file", required_argument, NULL, OPT_FILE },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "capture", required_argument, NULL, OPT_CAPTURE },
		{ "capture-filter", required_argument, NULL, OPT_CAPTURE_FILTER },
		{ "connect", required_argument, NULL, OPT_CONNECT },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "fd", required_argument, NULL, OPT_FD },
		{ "requests", no_argument, NULL, OPT_REQUESTS },
		{ "subid", required_argument, NULL, OPT_SUBID },
		{ "id-range", required_argument, NULL, OPT_ID_RANGE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	memset(cli, 0, sizeof(*cli));
	cli->json_fd = -1;
	opterr = 0;
	optind = 1;
	int c;
	uint64_t v;
	/* '+': stop at the first non-option, so the program's own options stay its own. */
	while ((c = getopt_long(argc, argv, "+:vqhV", opts, NULL)) != -1) {
		switch (c) {
		case OPT_POLICY:
			if (cli->policy)
				return bad("--policy", optarg, "given twice");
			cli->policy = optarg;
			break;
		case OPT_RO:
		case OPT_RW: {
			const char *opt = c == OPT_RO ? "--ro" : "--rw";
			if (optarg[0] != '/')
				return bad(opt, optarg, "must be an absolute path");
			if (cli->n_ro + cli->n_rw >= SBX_CLI_MAX_PATHS)
				return bad(opt, optarg, "too many paths");
			if (c == OPT_RO)
				cli->ro[cli->n_ro++] = optarg;
			else
				cli->rw[cli->n_rw++] = optarg;
			break;
		}
		case OPT_TIME:
			if (parse_seconds(optarg, &cli->time_limit_ms) < 0)
				return bad("--time-limit", optarg, "expected a positive number of seconds");
			break;
		case OPT_MEM:
			if (sbx_parse_size(optarg, &v) < 0 || v < (1 << 20))
				return bad("--memory-limit", optarg, "expected a size of at least 1M (K/M/G suffixes)");
			cli->memory = v;
			break;
		case OPT_PIDS:
			if (sbx_parse_u64(optarg, &v) < 0 || v == 0 || v > 4194304)
				return bad("--pids-limit", optarg, "expected a number from 1 to 4194304");
			cli->pids = v;
			break;
		case OPT_NO_SECCOMP:
			cli->no_seccomp = true;
			break;
		case OPT_USER:
			if (parse_ids(optarg, &cli->uid, &cli->gid) < 0)
				return bad("--user", optarg, "expected UID[:GID], not 0");
			cli->user_set = true;
			break;
		case OPT_PARAM:
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return bad("--param", optarg, "expected NAME=VALUE");
			if (cli->n_params >= SBX_CLI_MAX_PARAMS)
				return bad("--param", optarg, "too many parameters");
			cli->params[cli->n_params++] = optarg;
			break;
		case OPT_LEARN:
			cli->learn = optarg;
			break;
		case OPT_JSON:
			if (sbx_parse_u64(optarg, &v) < 0 || v > INT32_MAX)
				return bad("--json-status-fd", optarg, "expected a file descriptor number");
			cli->json_fd = (int)v;
			break;
		case OPT_FILE:
		case OPT_DIR:
		case OPT_CAPTURE:
		case OPT_CONNECT:
		case OPT_LISTEN:
		case OPT_FD:
			if (parse_resource(c, optarg, cli) < 0)
				return -EINVAL;
			break;
		case OPT_CAPTURE_FILTER:
			if (cli->n_res == 0 || cli->res[cli->n_res - 1].kind != CLI_RES_CAPTURE)
				return bad("--capture-filter", optarg, "must follow a --capture");
			cli->res[cli->n_res - 1].filter = optarg;
			break;
		case OPT_REQUESTS:
			cli->requests = true;
			break;
		case OPT_SUBID:
			cli->subid = optarg;
			break;
		case OPT_ID_RANGE: {
			unsigned long long u, g, n;
			char tail;
			if (sscanf(optarg, "%llu:%llu:%llu%c", &u, &g, &n, &tail) != 3 || u == 0 || g == 0 || n == 0 ||
			    u + n > UINT32_MAX || g + n > UINT32_MAX)
				return bad("--id-range", optarg, "expected UID:GID:COUNT, ids above 0");
			cli->range_set = true;
			cli->range_uid = (uid_t)u;
			cli->range_gid = (gid_t)g;
			cli->range_count = (uint32_t)n;
			break;
		}
		case 'v':
			cli->verbose++;
			break;
		case 'q':
			cli->quiet = true;
			break;
		case 'h':
			cli->help = true;
			return 0;
		case 'V':
			cli->version = true;
			return 0;
		case ':':
			return bad("option", argv[optind - 1], "needs a value");
		case '?':
		default:
			if (optopt)
				fprintf(stderr, "sbx: error: unknown option '-%c' (see sbx --help)\n", optopt);
			else
				fprintf(stderr, "sbx: error: unknown option '%s' (see sbx --help)\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "sbx: error: missing PROGRAM (see sbx --help)\n");
		return -EINVAL;
	}
	if (cli->learn && cli->no_seccomp) {
		fprintf(stderr, "sbx: error: --learn needs the seccomp layer; drop --no-seccomp\n");
		return -EINVAL;
	}
	cli->argv = argv + optind;
	return 0;
}
