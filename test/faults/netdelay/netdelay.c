/*
 * netdelay: a userspace stand-in for `tc qdisc ... netem delay D J loss L`, for kernels built
 * without sch_netem (this project's Firecracker kernel has no CONFIG_NET_SCH_NETEM).
 *
 * iptables rules (index.ts installs them) send packets to an NFQUEUE. The kernel holds each queued
 * packet and tells us its id; we decide its fate and answer with a verdict for that id:
 *   - with probability L %                 -> NF_DROP at once: a lost packet (the sending stack
 *                                             believes it was sent, as with netem's loss);
 *   - otherwise, after uniform(D-J, D+J) ms -> NF_ACCEPT: the packet goes on.
 * (clamped at 0). Verdicts go out in release-time order, not arrival order, so jitter reorders
 * packets as netem's does. netem's default jitter distribution is uniform too.
 * libnetfilter_queue does the netlink protocol; this file is only the delay logic.
 *
 * The discard queue (--discard-queue, optional). A packet held in NFQUEUE at OUTPUT still belongs
 * to the socket that sent it, and TCP's small-queue limit (TSQ) lets a socket have only about two
 * such packets in the host at once: a TCP sender in the delayed namespace would be capped near
 * 15 KB/s (measured: 200 KB in 14 s at a 200 ms delay). netem avoids this by orphaning the packets
 * it holds; userspace cannot. So index.ts has the TEE target send an unowned copy of each outgoing
 * packet, which goes to the delay queue, and sends the original to the discard queue, where we
 * drop it at once. A packet dropped from a queue is silent to its sender (an iptables DROP at OUTPUT
 * would fail the send with EPERM). If this process dies, the discard queue has no listener and the
 * kernel drops the originals itself while the copies bypass the delay queue: traffic flows undelayed.
 *
 * Design for Kafka-like packet rates (thousands of packets/s, so hundreds to thousands held at once):
 *   - one thread, one loop: ppoll() on the netlink socket with a timeout that ends at the earliest
 *     release time; held packets live in a binary min-heap keyed by release time, so a packet costs
 *     O(log n) and the loop never sleeps past a due release;
 *   - NFQNL_COPY_META: the kernel sends metadata only (we need the id, not the payload);
 *   - a large socket receive buffer (SO_RCVBUFFORCE through nfnl_rcvbufsiz) and a large kernel queue
 *     (nfq_set_queue_maxlen); if the socket still overflows, recv() fails with ENOBUFS: the kernel
 *     dropped those packets (counted in /proc/net/netfilter/nfnetlink_queue as user_dropped), we
 *     count the event and carry on;
 *   - reading is bounded per wake-up (READ_BURST messages) so a flood cannot starve releases;
 *     discarded originals get one batch verdict per burst;
 *   - "late" = how long after its release time a packet actually got its verdict: the proof that
 *     latency does not grow under load (reported as maxLateUs);
 *   - --realtime asks for SCHED_FIFO (priority 10): netem's timers run in the kernel and are not
 *     delayed by busy user processes, ours are. With Kafka brokers keeping both cores busy (load
 *     average 16), a normal-priority delayer released packets up to 125 ms late, a real-time one
 *     within 3 ms on a quiet queue (tens of ms at worst under a bulk transfer: the kernel is not
 *     preemptible). It needs little CPU, and the kernel's RT throttling (sched_rt_runtime_us)
 *     bounds the harm of a bug.
 *
 * Protocol with the parent (index.ts), on stdout, one line each:
 *   ready                      the queues are bound; rules may now point at them
 *   stats {json}               counters, every --stats-ms when they changed, and once at exit
 * Diagnostics go to stderr. SIGTERM/SIGINT (or EOF on stdin with --watch-stdin, i.e. the parent
 * died) ends the process: every held packet is released at once (NF_ACCEPT), then it exits 0.
 * Had it been killed instead, the kernel would drop the held packets when the socket closes.
 *
 * Build: gcc -O2 -Wall -Wextra -o netdelay netdelay.c -lnetfilter_queue -lnfnetlink
 * Usage: netdelay --queue N --delay MS [--jitter MS] [--loss PCT] [--seed S] [--discard-queue N]
 *                 [--maxlen N] [--rcvbuf BYTES] [--stats-ms MS] [--watch-stdin] [--realtime]
 * Run it inside the network namespace whose rules feed the queues (queues are per namespace).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter.h> /* NF_ACCEPT, NF_DROP */
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libnfnetlink/libnfnetlink.h>

/* ---- options ----------------------------------------------------------------------------- */

static struct {
	unsigned queue;
	int discard_queue; /* -1: none */
	double delay_ms, jitter_ms, loss_pct;
	uint64_t seed;
	int seeded;
	uint32_t maxlen;   /* packets the kernel may hold for us; beyond it, it drops (netem: "limit") */
	unsigned rcvbuf;   /* netlink socket receive buffer, bytes */
	unsigned stats_ms; /* how often changed counters are printed */
	int watch_stdin;
	int realtime;
} opt = { .discard_queue = -1, .maxlen = 16384, .rcvbuf = 8u << 20, .stats_ms = 1000 };

/* ---- counters (printed as the stats line) --------------------------------------------- */

static struct {
	uint64_t received;       /* packets the kernel queued to the delay queue */
	uint64_t delayed;        /* released after their delay */
	uint64_t dropped;        /* dropped by us: the emulated loss */
	uint64_t discarded;      /* originals dropped from the discard queue (their copies were delayed) */
	uint64_t enobufs;        /* recv() overflow events: the kernel dropped packets meanwhile */
	uint64_t verdict_errors; /* a verdict the kernel refused (e.g. queue flushed) */
	uint64_t max_held;       /* most packets held at once */
	uint64_t max_late_us;    /* worst delay between a release time and its verdict */
} st;

/* ---- clock and random numbers ------------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* splitmix64: small, fast, good enough for jitter and loss decisions; seedable for a reproducible
 * sequence of decisions (which packet gets which decision still depends on traffic timing). */
static uint64_t rng_state;
static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
/* uniform in [0, 1) with 53 bits */
static double rng_unit(void) { return (double)(rng_next() >> 11) * (1.0 / 9007199254740992.0); }

/* ---- min-heap of held packets, keyed by release time -------------------------------------- */

struct held {
	uint64_t release_ns;
	uint32_t id; /* the kernel's packet id, what the verdict names */
};
static struct held *heap;
static size_t heap_len, heap_cap;

static int heap_push(struct held h)
{
	if (heap_len == heap_cap) {
		size_t cap = heap_cap ? heap_cap * 2 : 1024;
		struct held *p = realloc(heap, cap * sizeof *p);
		if (!p)
			return -1;
		heap = p;
		heap_cap = cap;
	}
	size_t i = heap_len++;
	while (i > 0) { /* sift up */
		size_t parent = (i - 1) / 2;
		if (heap[parent].release_ns <= h.release_ns)
			break;
		heap[i] = heap[parent];
		i = parent;
	}
	heap[i] = h;
	if (heap_len > st.max_held)
		st.max_held = heap_len;
	return 0;
}

static struct held heap_pop(void)
{
	struct held top = heap[0], last = heap[--heap_len];
	size_t i = 0;
	for (;;) { /* sift the last element down from the root */
		size_t c = 2 * i + 1;
		if (c >= heap_len)
			break;
		if (c + 1 < heap_len && heap[c + 1].release_ns < heap[c].release_ns)
			c++;
		if (last.release_ns <= heap[c].release_ns)
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (heap_len)
		heap[i] = last;
	return top;
}

/* ---- the queues ----------------------------------------------------------------------------- */

static struct nfq_q_handle *delay_qh, *discard_qh;
/* The discard queue's packets are answered together: one NF_DROP for every id up to this one
 * (ids grow by one per packet in a queue, and this queue's verdicts are all the same). */
static uint32_t discard_upto;
static int discard_pending;

static void verdict(uint32_t id, uint32_t v)
{
	if (nfq_set_verdict(delay_qh, id, v, 0, NULL) < 0)
		st.verdict_errors++;
}

/* Called by nfq_handle_packet() for each packet of the delay queue: drop it or schedule its release. */
static int on_delay_packet(struct nfq_q_handle *q, struct nfgenmsg *msg, struct nfq_data *nfa, void *data)
{
	(void)q;
	(void)msg;
	(void)data;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	if (!ph)
		return 0;
	uint32_t id = ntohl(ph->packet_id);
	st.received++;

	if (opt.loss_pct > 0 && rng_unit() * 100.0 < opt.loss_pct) {
		st.dropped++;
		verdict(id, NF_DROP);
		return 0;
	}
	double ms = opt.delay_ms;
	if (opt.jitter_ms > 0)
		ms += (2.0 * rng_unit() - 1.0) * opt.jitter_ms; /* uniform(D-J, D+J) */
	if (ms <= 0) {
		st.delayed++;
		verdict(id, NF_ACCEPT);
		return 0;
	}
	struct held h = { now_ns() + (uint64_t)(ms * 1e6), id };
	if (heap_push(h) < 0) { /* out of memory: let it through rather than lose it */
		st.delayed++;
		verdict(id, NF_ACCEPT);
	}
	return 0;
}

/* The discard queue: remember the newest id; flush_discards() drops them all in one message. */
static int on_discard_packet(struct nfq_q_handle *q, struct nfgenmsg *msg, struct nfq_data *nfa, void *data)
{
	(void)q;
	(void)msg;
	(void)data;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	if (!ph)
		return 0;
	discard_upto = ntohl(ph->packet_id);
	discard_pending = 1;
	st.discarded++;
	return 0;
}

static void flush_discards(void)
{
	if (!discard_pending)
		return;
	if (nfq_set_verdict_batch(discard_qh, discard_upto, NF_DROP) < 0)
		st.verdict_errors++;
	discard_pending = 0;
}

/* Issues the verdict of every packet whose time has come. */
static void release_due(uint64_t now)
{
	while (heap_len && heap[0].release_ns <= now) {
		struct held h = heap_pop();
		uint64_t late_us = (now - h.release_ns) / 1000;
		if (late_us > st.max_late_us)
			st.max_late_us = late_us;
		st.delayed++;
		verdict(h.id, NF_ACCEPT);
	}
}

/* The kernel's own counters for the delay queue, from /proc (per network namespace):
 * queue_dropped = packets dropped because maxlen was reached; user_dropped = packets dropped
 * because our socket buffer was full. Both stay 0 when we keep up. */
static void kernel_counters(unsigned long *queue_dropped, unsigned long *user_dropped)
{
	*queue_dropped = *user_dropped = 0;
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
	if (!f)
		return;
	unsigned qnum, portid, total, mode, range;
	unsigned long qd, ud;
	char line[256];
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%u %u %u %u %u %lu %lu", &qnum, &portid, &total, &mode, &range, &qd, &ud) == 7 &&
		    qnum == opt.queue) {
			*queue_dropped = qd;
			*user_dropped = ud;
		}
	fclose(f);
}

static void print_stats(void)
{
	unsigned long qd, ud;
	kernel_counters(&qd, &ud);
	printf("stats {\"received\":%" PRIu64 ",\"delayed\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"discarded\":%" PRIu64
	       ",\"held\":%zu,\"maxHeld\":%" PRIu64 ",\"maxLateUs\":%" PRIu64 ",\"enobufs\":%" PRIu64
	       ",\"verdictErrors\":%" PRIu64 ",\"kernelQueueDropped\":%lu,\"kernelUserDropped\":%lu}\n",
	       st.received, st.delayed, st.dropped, st.discarded, heap_len, st.max_held, st.max_late_us, st.enobufs,
	       st.verdict_errors, qd, ud);
	fflush(stdout);
}

/* ---- main ----------------------------------------------------------------------------------- */

static volatile sig_atomic_t stopping;
static void on_signal(int sig) { (void)sig; stopping = 1; }

static void usage(void)
{
	fprintf(stderr, "usage: netdelay --queue N --delay MS [--jitter MS] [--loss PCT] [--seed S] [--discard-queue N]\n"
	                "                [--maxlen N] [--rcvbuf BYTES] [--stats-ms MS] [--watch-stdin] [--realtime]\n");
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "netdelay: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct nfq_q_handle *bind_queue(struct nfq_handle *h, unsigned num, nfq_callback *cb)
{
	struct nfq_q_handle *q = nfq_create_queue(h, (uint16_t)num, cb, NULL);
	if (!q) {
		fprintf(stderr, "netdelay: cannot bind queue %u (is another process bound to it?): %s\n", num, strerror(errno));
		exit(1);
	}
	if (nfq_set_mode(q, NFQNL_COPY_META, 0) < 0)
		die("nfq_set_mode");
	if (nfq_set_queue_maxlen(q, opt.maxlen) < 0)
		die("nfq_set_queue_maxlen");
	/* No NFQA_CFG_F_GSO: the kernel splits GSO/GRO super-packets before queueing, so delay and
	 * loss act on wire-sized packets as netem's would. No NFQA_CFG_F_FAIL_OPEN: when the queue is
	 * full, packets are dropped (netem drops beyond its limit too), not passed undelayed. */
	return q;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "queue", required_argument, 0, 'q' },   { "delay", required_argument, 0, 'd' },
		{ "jitter", required_argument, 0, 'j' },  { "loss", required_argument, 0, 'l' },
		{ "seed", required_argument, 0, 's' },    { "discard-queue", required_argument, 0, 'x' },
		{ "maxlen", required_argument, 0, 'm' },  { "rcvbuf", required_argument, 0, 'r' },
		{ "stats-ms", required_argument, 0, 'i' }, { "watch-stdin", no_argument, 0, 'w' },
		{ "realtime", no_argument, 0, 't' },      { 0, 0, 0, 0 },
	};
	int have_queue = 0, c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': opt.queue = (unsigned)strtoul(optarg, NULL, 10); have_queue = 1; break;
		case 'd': opt.delay_ms = strtod(optarg, NULL); break;
		case 'j': opt.jitter_ms = strtod(optarg, NULL); break;
		case 'l': opt.loss_pct = strtod(optarg, NULL); break;
		case 's': opt.seed = strtoull(optarg, NULL, 10); opt.seeded = 1; break;
		case 'x': opt.discard_queue = (int)strtol(optarg, NULL, 10); break;
		case 'm': opt.maxlen = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'r': opt.rcvbuf = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'i': opt.stats_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'w': opt.watch_stdin = 1; break;
		case 't': opt.realtime = 1; break;
		default: usage();
		}
	}
	if (!have_queue || opt.queue > 65535 || opt.discard_queue > 65535 || opt.discard_queue == (int)opt.queue ||
	    opt.delay_ms < 0 || opt.jitter_ms < 0 || opt.loss_pct < 0 || opt.loss_pct > 100 || opt.stats_ms == 0)
		usage();
	if (opt.realtime) {
		struct sched_param sp = { .sched_priority = 10 };
		if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0) /* not fatal: only less punctual */
			fprintf(stderr, "netdelay: SCHED_FIFO refused (%s); running at normal priority\n", strerror(errno));
	}
	rng_state = opt.seeded ? opt.seed : now_ns() ^ ((uint64_t)getpid() << 32);

	/* Signals are blocked except inside ppoll(), so a SIGTERM can't slip in between the check of
	 * `stopping` and the sleep: ppoll() returns EINTR and the loop ends. */
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigset_t block, during_poll;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &during_poll); /* during_poll = the mask before: unblocked */

	struct nfq_handle *h = nfq_open();
	if (!h)
		die("nfq_open");
	/* Only needed on kernels before 3.8, harmless (and ignored) after. */
	nfq_unbind_pf(h, AF_INET);
	nfq_bind_pf(h, AF_INET);
	delay_qh = bind_queue(h, opt.queue, &on_delay_packet);
	if (opt.discard_queue >= 0)
		discard_qh = bind_queue(h, (unsigned)opt.discard_queue, &on_discard_packet);
	nfnl_rcvbufsiz(nfq_nfnlh(h), opt.rcvbuf); /* SO_RCVBUFFORCE as root, above rmem_max */
	int fd = nfq_fd(h);

	printf("ready\n");
	fflush(stdout);

	static char buf[65536] __attribute__((aligned));
	enum { READ_BURST = 256 };
	const uint64_t stats_every = (uint64_t)opt.stats_ms * 1000000u;
	uint64_t next_stats = now_ns() + stats_every, printed_received = UINT64_MAX, printed_enobufs = 0;
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
	nfds_t nfds = opt.watch_stdin ? 2 : 1;

	while (!stopping) {
		uint64_t now = now_ns();
		release_due(now);
		if (now >= next_stats) {
			if (st.received != printed_received || st.enobufs != printed_enobufs || heap_len) {
				print_stats();
				printed_received = st.received;
				printed_enobufs = st.enobufs;
			}
			next_stats = now + stats_every;
		}
		uint64_t wake = next_stats;
		if (heap_len && heap[0].release_ns < wake)
			wake = heap[0].release_ns;
		now = now_ns();
		uint64_t wait = wake > now ? wake - now : 0;
		struct timespec ts = { (time_t)(wait / 1000000000u), (long)(wait % 1000000000u) };
		int n = ppoll(pfd, nfds, &ts, &during_poll);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("ppoll");
		}
		if (nfds == 2 && pfd[1].revents) { /* stdin readable or hung up: EOF means the parent is gone */
			char b[256];
			ssize_t r = read(0, b, sizeof b);
			if (r <= 0)
				break;
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		/* Drain what is there, but at most READ_BURST messages before checking the heap again. */
		for (int i = 0; i < READ_BURST; i++) {
			ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
			if (r < 0) {
				if (errno == ENOBUFS) { /* overflowed: the kernel dropped some packets; go on */
					st.enobufs++;
					continue;
				}
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
					break;
				die("recv");
			}
			nfq_handle_packet(h, buf, (int)r);
		}
		flush_discards();
	}

	/* Ending: let every held packet go now (the link heals), then report and close. */
	while (heap_len) {
		struct held h2 = heap_pop();
		st.delayed++;
		verdict(h2.id, NF_ACCEPT);
	}
	flush_discards();
	print_stats();
	if (discard_qh)
		nfq_destroy_queue(discard_qh);
	nfq_destroy_queue(delay_qh);
	nfq_close(h);
	free(heap);
	return 0;
}
