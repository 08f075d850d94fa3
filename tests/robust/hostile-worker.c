/* SPDX-License-Identifier: MIT */
/* The worker side of tests/robust/test-robust.c: brokered calls made in ways meant to hurt
 * the broker. Each first makes one brokered socket(AF_PACKET) (fd 202), then:
 *
 *   serve SECONDS     one setsockopt(SO_RCVBUF) on it every 5 ms; exit 0 when all succeeded
 *   flood N           N setsockopt(SO_RCVBUF) in a row; exit 0 when all succeeded
 *   threads T N       T threads, each N setsockopt; exit 0 when all succeeded
 *   die T             T threads in setsockopt loops, then SIGKILL to itself mid-flight
 *   sockets T         T threads calling socket(AF_PACKET) in a loop: beyond the grant, the
 *                     broker kills the worker (exit status 159 expected)
 *   random SEED N     N random acts (reproducible from SEED): datagrams of random bytes on the
 *                     request channel, brokered setsockopt, bind and socket calls with random
 *                     arguments; the broker answers, refuses or kills: any of those is fine
 * libc and pthreads only. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int fd = -1;
static long per_thread;

static int rcvbuf(void)
{
	int v = 65536;
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

static void *calls(void *arg)
{
	(void)arg;
	for (long i = 0; per_thread < 0 || i < per_thread; i++)
		if (rcvbuf() < 0)
			return (void *)1;
	return NULL;
}

static void *sockets(void *arg)
{
	(void)arg;
	for (;;)
		(void)socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	return NULL;
}

static int run_threads(long t, void *(*fn)(void *))
{
	pthread_t th[64];
	if (t < 1 || t > 64)
		return 2;
	for (long i = 0; i < t; i++)
		if (pthread_create(&th[i], NULL, fn, NULL) != 0)
			return 2;
	int bad = 0;
	for (long i = 0; i < t; i++) {
		void *r;
		pthread_join(th[i], &r);
		bad |= r != NULL;
	}
	return bad;
}

static void fill(unsigned *seed, unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)rand_r(seed);
}

static int random_acts(unsigned seed, long n)
{
	const char *b = getenv("SBX_FD_BROKER");
	int broker = b ? atoi(b) : -1;
	unsigned char buf[5000];
	static const int levels[] = { SOL_SOCKET, SOL_PACKET, 0, 6, 41, 0x7fff };
	for (long i = 0; i < n; i++) {
		size_t len = (size_t)rand_r(&seed) % sizeof(buf);
		fill(&seed, buf, len);
		switch (rand_r(&seed) % 4) {
		case 0: /* hostile bytes to the broker: it kills us for the first malformed one */
			if (broker >= 0)
				(void)send(broker, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
			break;
		case 1:
			(void)setsockopt(fd, levels[rand_r(&seed) % 6], rand_r(&seed) % 128, buf,
					 (socklen_t)(len % 300));
			break;
		case 2:
			(void)bind(fd, (const struct sockaddr *)buf, (socklen_t)(len % 130));
			break;
		default:
			(void)socket(AF_PACKET, rand_r(&seed) % 16, rand_r(&seed) & 0xffff);
			break;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		printf("socket: %s\n", strerror(errno));
		return 3;
	}
	long a = atol(argv[2]), b = argc > 3 ? atol(argv[3]) : 0;
	if (strcmp(argv[1], "serve") == 0) {
		struct timespec end, now, tick = { 0, 5000000 };
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += a;
		do {
			if (rcvbuf() < 0)
				return 1;
			nanosleep(&tick, NULL);
			clock_gettime(CLOCK_MONOTONIC, &now);
		} while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
		return 0;
	}
	if (strcmp(argv[1], "flood") == 0) {
		per_thread = a;
		return calls(NULL) ? 1 : 0;
	}
	if (strcmp(argv[1], "threads") == 0) {
		per_thread = b;
		return run_threads(a, calls);
	}
	if (strcmp(argv[1], "die") == 0) {
		pthread_t th;
		per_thread = -1;
		for (long i = 0; i < a; i++)
			pthread_create(&th, NULL, calls, NULL);
		struct timespec t = { 0, 200000000 };
		nanosleep(&t, NULL);
		raise(SIGKILL);
	}
	if (strcmp(argv[1], "sockets") == 0)
		return run_threads(a, sockets);
	if (strcmp(argv[1], "random") == 0)
		return random_acts((unsigned)a, b);
	return 2;
}
