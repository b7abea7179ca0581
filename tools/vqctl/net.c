// SPDX-License-Identifier: MIT
/*
 * vqctl net: move IP packets through a tun device and report the rate,
 * through libvqchar's net API (vhost-net) or, for comparison, through the
 * tun descriptor itself as every tun user does: write()/read() one packet
 * per call, or writev()/read() with IFF_VNET_HDR and TSO (what
 * wireguard-go and tailscale do).  Same packets, same sink, same source.
 *
 * The tun is 10.99.0.1/24 (override with --subnet); the far end "is"
 * 10.99.0.2.  Transmit sends UDP (or, with --gso, 64 KiB TCP TSO) packets
 * to 10.99.0.3, an address on the link that nobody has: forwarding is off,
 * so the stack routes, finds nowhere to go and drops them (a cheap sink,
 * the same for every path).  Receive has a second thread send UDP
 * datagrams (or, with --gso, inject 64 KiB TCP TSO packets through an
 * AF_PACKET socket) to 10.99.0.2, which the stack routes out of the tun.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <vqchar.h>
#include <vqchar_net.h>

#include "vqctl_net.h"

#define VN_EXIT_OK	0
#define VN_EXIT_FAIL	1
#define VN_EXIT_USAGE	2
#define VN_EXIT_ENV	3

#define VN_GSO_TOTAL	65535
#define VN_MSS		1448
#define VN_MAX_BATCH	256
#define VN_IDLE_MS	300	/* receive: nothing for this long after the sender ended */
#define VN_STALL_MS	20000	/* transmit: vhost-net took nothing back for this long */

enum vn_via { VN_VHOST, VN_FD, VN_FD_VNET };

struct vn_opts {
	bool tx;
	enum vn_via via;
	uint32_t frames;
	uint32_t size;
	bool gso;
	uint32_t batch;
	uint32_t num;
	uint32_t backend;
	bool event_idx;
	bool zero_copy;
	uint32_t busy_poll;	/* vhost-net busy polling, microseconds */
	bool json;
	const char *name;
	uint32_t subnet;	/* host order, the /24's first three bytes */
};

struct vn_run {
	struct vn_opts o;
	struct vqchar_net *n;
	int fd;			/* the tun fd of the fd paths */
	char ifname[IFNAMSIZ];
	int ifindex;
	uint32_t local, peer, sink;	/* network order */
	uint8_t *pkt;			/* the packet: IP header onwards */
	size_t pkt_len;
	struct vqchar_net_hdr hdr;	/* its virtio-net header */
	volatile bool sender_done;
	uint64_t sender_sent;
	int sender_err;
};

static void vn_help(FILE *f)
{
	fputs(
"vqctl net - move IP packets through a tun, via vhost-net or the tun fd\n"
"\n"
"    vqctl net tx|rx [--via vhost|fd|fd-vnet] [--frames N] [--size BYTES | --gso]\n"
"                    [--batch N] [--num N] [--backend anon|kernel] [--no-event-idx]\n"
"                    [--zero-copy] [--busy-poll USECS] [--name IFNAME]\n"
"                    [--subnet A.B.C] [--json]\n"
"\n"
"    tx   the program sends --frames packets of --size bytes (IPv4 + UDP, 28 to\n"
"         9000) or, with --gso, 65,535-byte TCP packets with a TSO header;\n"
"    rx   the stack sends them to the program, which receives them.\n"
"    --via vhost    libvqchar's net API: one queue pair on one vhost-net,\n"
"                   batches of --batch (default 64), copy or --zero-copy;\n"
"                   --busy-poll: vhost-net polls the rings that long before\n"
"                   it sleeps (VHOST_SET_VRING_BUSYLOOP_TIMEOUT)\n"
"    --via fd       write()/read() on a plain tun fd, one packet per call\n"
"    --via fd-vnet  writev()/read() on a tun fd with IFF_VNET_HDR and TSO\n"
"    Prints packets/s, Gbit/s (IP bytes) and, via vhost, kicks and calls per\n"
"    packet.  Exit status: 0 ok, 1 the run failed, 2 usage, 3 no vhost-net/tun.\n",
	      f);
}

/* CPU seconds (user + system) of the calling thread. */
static double vn_thread_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * CPU seconds of this process's vhost-net workers: threads named
 * "vhost-PID", kernel threads before Linux 6.4 and threads of ours since
 * (vhost_task).  -1 when none is found.
 */
static double vn_vhost_cpu(void)
{
	char want[32], path[600], comm[32], stat[512];
	long hz = sysconf(_SC_CLK_TCK);
	double total = -1;
	struct dirent *d;
	DIR *proc;

	snprintf(want, sizeof(want), "vhost-%d\n", (int)getpid());
	proc = opendir("/proc");
	if (!proc || hz <= 0)
		goto out;
	while ((d = readdir(proc))) {
		DIR *tasks;
		struct dirent *t;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", d->d_name);
		tasks = opendir(path);
		if (!tasks)
			continue;
		while ((t = readdir(tasks))) {
			unsigned long ut, st;
			char *p;
			FILE *f;
			int ok;

			if (t->d_name[0] < '0' || t->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task/%s/comm", d->d_name, t->d_name);
			f = fopen(path, "re");
			ok = f && fgets(comm, sizeof(comm), f) && !strcmp(comm, want);
			if (f)
				fclose(f);
			if (!ok)
				continue;
			snprintf(path, sizeof(path), "/proc/%s/task/%s/stat", d->d_name, t->d_name);
			f = fopen(path, "re");
			ok = f && fgets(stat, sizeof(stat), f);
			if (f)
				fclose(f);
			/* Fields 14 and 15, counted after the parenthesised name. */
			p = ok ? strrchr(stat, ')') : NULL;
			if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
					&ut, &st) == 2)
				total = (total < 0 ? 0 : total) + (double)(ut + st) / (double)hz;
		}
		closedir(tasks);
	}
out:
	if (proc)
		closedir(proc);
	return total;
}

static double vn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void vn_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t vn_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t vn_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* IPv4 header + UDP or TCP (partial checksum for TSO) for the whole packet. */
static void vn_build(uint8_t *p, size_t total, uint32_t saddr, uint32_t daddr, bool tcp)
{
	uint8_t ph[12], *l4 = p + 20;
	size_t l4len = total - 20;
	uint32_t i;

	memset(p, 0, tcp ? 40 : 28);
	p[0] = 0x45;
	vn_put16(p + 2, (uint16_t)total);
	vn_put16(p + 6, 0x4000);
	p[8] = 64;
	p[9] = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	memcpy(p + 12, &saddr, 4);
	memcpy(p + 16, &daddr, 4);
	vn_put16(p + 10, (uint16_t)~vn_fold(vn_sum(p, 20, 0)));
	for (i = tcp ? 40 : 28; i < total; i++)
		p[i] = (uint8_t)(i * 7);
	vn_put16(l4, 40000);
	vn_put16(l4 + 2, 9);
	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0;
	ph[9] = p[9];
	vn_put16(ph + 10, (uint16_t)l4len);
	if (tcp) {
		l4[12] = 5 << 4;
		l4[13] = 0x10;	/* ACK */
		vn_put16(l4 + 14, 65535);
		vn_put16(l4 + 16, vn_fold(vn_sum(ph, 12, 0)));	/* partial */
	} else {
		uint16_t c;

		vn_put16(l4 + 4, (uint16_t)l4len);
		c = (uint16_t)~vn_fold(vn_sum(l4, l4len, vn_sum(ph, 12, 0)));
		vn_put16(l4 + 6, c ? c : 0xffff);
	}
}

static int vn_ifreq(int family, unsigned long cmd, struct ifreq *ifr)
{
	int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (s < 0)
		return -errno;
	if (ioctl(s, cmd, ifr) < 0)
		ret = -errno;
	close(s);
	return ret;
}

static int vn_if_setup(struct vn_run *r)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = r->local };
	struct ifreq ifr;
	char path[96];
	int ret, fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", r->ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0) {
			/* best effort: only keeps IPv6 chatter off the link */
		}
		close(fd);
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, r->ifname, sizeof(ifr.ifr_name));
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	ret = vn_ifreq(AF_INET, SIOCSIFADDR, &ifr);
	if (!ret) {
		sin.sin_addr.s_addr = htonl(0xffffff00);
		memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
		ret = vn_ifreq(AF_INET, SIOCSIFNETMASK, &ifr);
	}
	if (!ret && r->o.size + 0 > 1500) {
		ifr.ifr_mtu = 9000;
		ret = vn_ifreq(AF_INET, SIOCSIFMTU, &ifr);
	}
	if (!ret)
		ret = vn_ifreq(AF_INET, SIOCGIFFLAGS, &ifr);
	if (!ret) {
		ifr.ifr_flags |= IFF_UP;
		ret = vn_ifreq(AF_INET, SIOCSIFFLAGS, &ifr);
	}
	if (!ret)
		ret = vn_ifreq(AF_INET, SIOCGIFINDEX, &ifr);
	r->ifindex = ifr.ifr_ifindex;
	return ret;
}

static int vn_open_fd(struct vn_run *r)
{
	struct ifreq ifr;
	int fd, ret;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (r->o.via == VN_FD_VNET ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", r->o.name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	memcpy(r->ifname, ifr.ifr_name, sizeof(r->ifname) - 1);
	if (r->o.via == VN_FD_VNET) {
		int hdr = sizeof(struct virtio_net_hdr);

		if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
		    ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0)
			goto fail;
	}
	r->fd = fd;
	return 0;
fail:
	ret = -errno;
	close(fd);
	return ret;
}

static int vn_open_vhost(struct vn_run *r)
{
	struct vqchar_net_params p = {
		.backend = r->o.backend,
		.num = r->o.num,
		.features = (r->o.event_idx ? VQCHAR_F_EVENT_IDX : 0) | VQCHAR_F_INDIRECT_DESC |
			    VQCHAR_NET_F_CSUM | VQCHAR_NET_F_GUEST_CSUM |
			    VQCHAR_NET_F_HOST_TSO4 | VQCHAR_NET_F_HOST_TSO6 |
			    VQCHAR_NET_F_GUEST_TSO4 | VQCHAR_NET_F_GUEST_TSO6,
		.ifname = r->o.name,
	};
	int ret = vqchar_net_open(&p, &r->n);
	unsigned int i;

	if (ret)
		return ret;
	snprintf(r->ifname, sizeof(r->ifname), "%s", vqchar_net_ifname(r->n));
	/* The vrings: 0 receive, 1 transmit (vhost-net's order). */
	for (i = 0; i < 2 && r->o.busy_poll; i++) {
		struct vhost_vring_state st = { .index = i, .num = r->o.busy_poll };

		if (ioctl(vqchar_net_vhost_fd(r->n, 0), VHOST_SET_VRING_BUSYLOOP_TIMEOUT, &st) < 0)
			return -errno;
	}
	return 0;
}

/* ---- transmit ---- */

static int vn_tx_vhost(struct vn_run *r)
{
	struct vqchar_net_pkt pkts[VN_MAX_BATCH];
	struct vqchar_net_txbuf bufs[VN_MAX_BATCH];
	struct iovec iov = { r->pkt, r->pkt_len };
	uint64_t sent = 0;
	uint32_t i;
	int ret;

	for (i = 0; i < r->o.batch; i++)
		pkts[i] = (struct vqchar_net_pkt){ .hdr = &r->hdr, .iov = &iov, .iov_cnt = 1 };
	for (;;) {
		uint32_t k = r->o.frames - sent < r->o.batch ? (uint32_t)(r->o.frames - sent) :
							       r->o.batch;

		ret = 0;
		if (k && r->o.zero_copy) {
			int got = vqchar_net_tx_get(r->n, 0, bufs, k);

			for (i = 0; i < (uint32_t)got; i++) {
				memcpy(bufs[i].hdr, &r->hdr, sizeof(r->hdr));
				memcpy(bufs[i].data, r->pkt, r->pkt_len);
				bufs[i].len = (uint32_t)r->pkt_len;
			}
			ret = got > 0 ? vqchar_net_send_bufs(r->n, 0, bufs, (unsigned int)got, 0) : got;
			if (ret >= 0 && ret < got)
				vqchar_net_tx_put(r->n, 0, bufs + ret, (unsigned int)(got - ret));
		} else if (k) {
			ret = vqchar_net_send(r->n, 0, pkts, k, 0);
		}
		if (ret < 0)
			return ret;
		sent += (uint64_t)ret;
		if (!k) {
			ret = vqchar_net_tx_reclaim(r->n, 0);
			if (ret < 0)
				return ret;
			if (!vqchar_net_tx_inflight(r->n, 0))
				return 0;
		}
		/* Full ring, or all sent: sleep until vhost frees chains. */
		if (!k || !ret) {
			ret = vqchar_net_wait(r->n, 0, VQCHAR_NET_TX, VN_STALL_MS);
			if (ret == -ETIMEDOUT)
				fprintf(stderr, "vqctl net: %d of %" PRIu64 " packets still with vhost-net "
					"after %d s\n", vqchar_net_tx_inflight(r->n, 0), sent,
					VN_STALL_MS / 1000);
			if (ret < 0)
				return ret;
		}
	}
}

static int vn_tx_fd(struct vn_run *r)
{
	struct virtio_net_hdr vh;
	struct iovec iov[2] = { { &vh, sizeof(vh) }, { r->pkt, r->pkt_len } };
	uint32_t i;

	memset(&vh, 0, sizeof(vh));
	vh.flags = r->hdr.flags;
	vh.gso_type = r->hdr.gso_type;
	vh.hdr_len = le16toh(r->hdr.hdr_len);
	vh.gso_size = le16toh(r->hdr.gso_size);
	vh.csum_start = le16toh(r->hdr.csum_start);
	vh.csum_offset = le16toh(r->hdr.csum_offset);
	for (i = 0; i < r->o.frames; i++) {
		ssize_t w = r->o.via == VN_FD_VNET ? writev(r->fd, iov, 2) :
						      write(r->fd, r->pkt, r->pkt_len);

		if (w < 0)
			return -errno;
	}
	return 0;
}

/* ---- receive ---- */

static void *vn_sender(void *arg)
{
	struct vn_run *r = arg;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
				  .sin_addr.s_addr = r->peer };
	uint64_t sent = 0;
	int s;

	if (r->o.gso) {
		static uint8_t frame[sizeof(struct virtio_net_hdr) + VN_GSO_TOTAL];
		struct virtio_net_hdr *vh = (struct virtio_net_hdr *)frame;
		struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
					   .sll_ifindex = r->ifindex };
		int one = 1;

		s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (s < 0 || setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one))) {
			r->sender_err = -errno;
			goto out;
		}
		memset(vh, 0, sizeof(*vh));
		vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh->hdr_len = 40;
		vh->gso_size = VN_MSS;
		vh->csum_start = 20;
		vh->csum_offset = 16;
		vn_build(frame + sizeof(*vh), VN_GSO_TOTAL, r->local, r->peer, true);
		for (; sent < r->o.frames; sent++)
			if (sendto(s, frame, sizeof(frame), 0, (struct sockaddr *)&sll,
				   sizeof(sll)) < 0 && errno != ENOBUFS) {
				r->sender_err = -errno;
				break;
			}
	} else {
		struct mmsghdr m[64];
		struct iovec iov = { r->pkt + 28, r->pkt_len - 28 };
		int i, size = 4 << 20;

		s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s < 0) {
			r->sender_err = -errno;
			goto out;
		}
		(void)setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
		memset(m, 0, sizeof(m));
		for (i = 0; i < 64; i++) {
			m[i].msg_hdr.msg_iov = &iov;
			m[i].msg_hdr.msg_iovlen = 1;
			m[i].msg_hdr.msg_name = &to;
			m[i].msg_hdr.msg_namelen = sizeof(to);
		}
		while (sent < r->o.frames) {
			uint64_t left = r->o.frames - sent;
			int k = sendmmsg(s, m, left < 64 ? (unsigned int)left : 64, 0);

			if (k < 0 && errno != ENOBUFS && errno != EAGAIN) {
				r->sender_err = -errno;
				break;
			}
			sent += k > 0 ? (uint64_t)k : 0;
		}
	}
	close(s);
out:
	r->sender_sent = sent;
	__atomic_store_n(&r->sender_done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Receive until the sender has finished and nothing came for
 * VN_IDLE_MS.  Returns packets and bytes received and the time from the
 * first to the last.
 */
static int vn_rx(struct vn_run *r, uint64_t *pkts_out, uint64_t *bytes_out, double *secs)
{
	static uint8_t buf[sizeof(struct virtio_net_hdr) + 65536];
	double first = 0, last = 0;
	uint64_t pkts = 0, bytes = 0;
	pthread_t t;
	int ret = 0;

	if (pthread_create(&t, NULL, vn_sender, r))
		return -EAGAIN;
	for (;;) {
		bool idle_ok = __atomic_load_n(&r->sender_done, __ATOMIC_ACQUIRE);
		uint64_t got = 0;

		if (r->n) {
			struct vqchar_net_rxpkt rx[VN_MAX_BATCH];
			static struct iovec iov[4096];
			int k = vqchar_net_recv(r->n, 0, rx, r->o.batch, iov, 4096), i;

			if (k < 0) {
				ret = k;
				break;
			}
			for (i = 0; i < k; i++)
				bytes += rx[i].len;
			got = (uint64_t)k;
			if (k)
				ret = vqchar_net_recv_done(r->n, 0, rx, (unsigned int)k);
			if (ret)
				break;
			if (!k) {
				ret = vqchar_net_wait(r->n, 0, VQCHAR_NET_RX, VN_IDLE_MS);
				if (ret == -ETIMEDOUT && idle_ok) {
					ret = 0;
					break;
				}
				if (ret < 0 && ret != -ETIMEDOUT)
					break;
				ret = 0;
			}
		} else {
			struct pollfd p = { .fd = r->fd, .events = POLLIN };
			ssize_t n;

			if (poll(&p, 1, VN_IDLE_MS) == 0) {
				if (idle_ok)
					break;
				continue;
			}
			n = read(r->fd, buf, sizeof(buf));
			if (n < 0) {
				ret = -errno;
				break;
			}
			got = 1;
			bytes += (uint64_t)n - (r->o.via == VN_FD_VNET ? sizeof(struct virtio_net_hdr) : 0);
		}
		if (got) {
			last = vn_now();
			if (!pkts)
				first = last;
			pkts += got;
		}
	}
	pthread_join(t, NULL);
	if (!ret && r->sender_err)
		ret = r->sender_err;
	*pkts_out = pkts;
	*bytes_out = bytes;
	*secs = last - first;
	return ret;
}

static int vn_parse(int argc, char **argv, struct vn_opts *o)
{
	static const struct option opts[] = {
		{ "via", required_argument, NULL, 'v' },
		{ "frames", required_argument, NULL, 'f' },
		{ "size", required_argument, NULL, 's' },
		{ "gso", no_argument, NULL, 'g' },
		{ "batch", required_argument, NULL, 'b' },
		{ "num", required_argument, NULL, 'n' },
		{ "backend", required_argument, NULL, 'k' },
		{ "no-event-idx", no_argument, NULL, 'E' },
		{ "zero-copy", no_argument, NULL, 'z' },
		{ "busy-poll", required_argument, NULL, 'P' },
		{ "name", required_argument, NULL, 'N' },
		{ "subnet", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned int a, b, c;
	int ch;

	*o = (struct vn_opts){ .frames = 100000, .size = 64, .batch = 64, .num = 256,
			       .backend = VQCHAR_BACKEND_ANON, .event_idx = true,
			       .name = "vqctl%d", .subnet = 0x0a6300 };
	if (argc < 2 || (strcmp(argv[1], "tx") && strcmp(argv[1], "rx"))) {
		if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
			vn_help(stdout);
			return -1;
		}
		fprintf(stderr, "vqctl net: say tx or rx\n");
		return VN_EXIT_USAGE;
	}
	o->tx = !strcmp(argv[1], "tx");
	optind = 2;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			if (!strcmp(optarg, "vhost"))
				o->via = VN_VHOST;
			else if (!strcmp(optarg, "fd"))
				o->via = VN_FD;
			else if (!strcmp(optarg, "fd-vnet"))
				o->via = VN_FD_VNET;
			else
				goto bad;
			break;
		case 'f':
			o->frames = (uint32_t)strtoul(optarg, NULL, 0);
			if (!o->frames)
				goto bad;
			break;
		case 's':
			o->size = (uint32_t)strtoul(optarg, NULL, 0);
			if (o->size < 28 || o->size > 9000)
				goto bad;
			break;
		case 'g':
			o->gso = true;
			break;
		case 'b':
			o->batch = (uint32_t)strtoul(optarg, NULL, 0);
			if (!o->batch || o->batch > VN_MAX_BATCH)
				goto bad;
			break;
		case 'n':
			o->num = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'k':
			if (!strcmp(optarg, "anon"))
				o->backend = VQCHAR_BACKEND_ANON;
			else if (!strcmp(optarg, "kernel"))
				o->backend = VQCHAR_BACKEND_KERNEL;
			else
				goto bad;
			break;
		case 'E':
			o->event_idx = false;
			break;
		case 'z':
			o->zero_copy = true;
			break;
		case 'P':
			o->busy_poll = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'N':
			o->name = optarg;
			break;
		case 'S':
			if (sscanf(optarg, "%u.%u.%u", &a, &b, &c) != 3 || a > 255 || b > 255 ||
			    c > 255)
				goto bad;
			o->subnet = a << 16 | b << 8 | c;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			vn_help(stdout);
			return -1;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (o->gso && o->via == VN_FD)
		fprintf(stderr, "vqctl net: --gso needs --via vhost or fd-vnet\n");
	else if (o->zero_copy && (o->via != VN_VHOST || o->gso || !o->tx))
		fprintf(stderr, "vqctl net: --zero-copy is for tx --via vhost without --gso\n");
	else
		return 0;
	return VN_EXIT_USAGE;
bad:
	fprintf(stderr, "vqctl net: bad option or value (see vqctl net --help)\n");
	return VN_EXIT_USAGE;
}

static const char *const vn_via_names[] = { "vhost", "fd", "fd-vnet" };

int vqctl_net(int argc, char **argv)
{
	struct vqchar_net_stats st = { 0 };
	struct vn_run r;
	uint64_t pkts = 0, bytes = 0;
	double t0, secs = 0, pps, gbps, cpu0, vhost0, cpu, vhost;
	int ret;

	memset(&r, 0, sizeof(r));
	r.fd = -1;
	ret = vn_parse(argc, argv, &r.o);
	if (ret)
		return ret < 0 ? VN_EXIT_OK : ret;
	r.local = htonl(r.o.subnet << 8 | 1);
	r.peer = htonl(r.o.subnet << 8 | 2);
	r.sink = htonl(r.o.subnet << 8 | 3);
	r.pkt_len = r.o.gso ? VN_GSO_TOTAL : r.o.size;
	r.pkt = calloc(1, VN_GSO_TOTAL);
	if (!r.pkt)
		return VN_EXIT_ENV;
	if (r.o.gso) {
		r.hdr.flags = VQCHAR_NET_HDR_F_NEEDS_CSUM;
		r.hdr.gso_type = VQCHAR_NET_GSO_TCPV4;
		r.hdr.hdr_len = htole16(40);
		r.hdr.gso_size = htole16(VN_MSS);
		r.hdr.csum_start = htole16(20);
		r.hdr.csum_offset = htole16(16);
	}
	vn_build(r.pkt, r.pkt_len, r.o.tx ? r.peer : r.local, r.o.tx ? r.sink : r.peer, r.o.gso);

	ret = r.o.via == VN_VHOST ? vn_open_vhost(&r) : vn_open_fd(&r);
	if (ret) {
		fprintf(stderr, "vqctl net: cannot set up %s: %s\n",
			r.o.via == VN_VHOST ? "vhost-net and the tun" : "the tun", strerror(-ret));
		free(r.pkt);
		return VN_EXIT_ENV;
	}
	ret = vn_if_setup(&r);
	if (ret) {
		fprintf(stderr, "vqctl net: configuring %s: %s\n", r.ifname, strerror(-ret));
		goto out;
	}
	cpu0 = vn_thread_cpu();
	vhost0 = vn_vhost_cpu();
	if (r.o.tx) {
		t0 = vn_now();
		ret = r.n ? vn_tx_vhost(&r) : vn_tx_fd(&r);
		secs = vn_now() - t0;
		pkts = r.o.frames;
		bytes = pkts * r.pkt_len;
	} else {
		ret = vn_rx(&r, &pkts, &bytes, &secs);
	}
	cpu = vn_thread_cpu() - cpu0;
	vhost = vhost0 < 0 ? -1 : vn_vhost_cpu() - vhost0;
	if (ret) {
		fprintf(stderr, "vqctl net: %s failed: %s\n", r.o.tx ? "tx" : "rx", strerror(-ret));
		goto out;
	}
	if (!pkts || secs <= 0) {
		fprintf(stderr, "vqctl net: nothing moved\n");
		ret = -EIO;
		goto out;
	}
	if (r.n)
		vqchar_net_get_stats(r.n, 0, &st);
	pps = (double)pkts / secs;
	gbps = (double)bytes * 8 / secs / 1e9;
	{
		uint64_t kicks = r.o.tx ? st.tx_kicks : st.rx_kicks;
		uint64_t calls = r.o.tx ? st.tx_calls : st.rx_calls;

		if (r.o.json)
			printf("{\"dir\":\"%s\",\"via\":\"%s\",\"size\":%zu,\"gso\":%s,\"batch\":%u,"
			       "\"backend\":\"%s\",\"zero_copy\":%s,\"packets\":%" PRIu64 ","
			       "\"sent\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"seconds\":%.6f,"
			       "\"pps\":%.1f,\"gbps\":%.4f,\"kicks\":%" PRIu64 ",\"calls\":%" PRIu64
			       ",\"kicks_per_packet\":%.5f,\"calls_per_packet\":%.5f,"
			       "\"cpu_seconds\":%.3f,\"vhost_cpu_seconds\":%.3f}\n",
			       r.o.tx ? "tx" : "rx", vn_via_names[r.o.via], r.pkt_len,
			       r.o.gso ? "true" : "false", r.o.batch,
			       r.o.backend == VQCHAR_BACKEND_KERNEL ? "kernel" : "anon",
			       r.o.zero_copy ? "true" : "false", pkts,
			       r.o.tx ? pkts : r.sender_sent, bytes, secs, pps, gbps, kicks, calls,
			       (double)kicks / (double)pkts, (double)calls / (double)pkts, cpu, vhost);
		else
			printf("vqctl net %s via %s on %s: %" PRIu64 " packets of %zu bytes in %.3f s: "
			       "%.0f packets/s, %.3f Gbit/s%s\n",
			       r.o.tx ? "tx" : "rx", vn_via_names[r.o.via], r.ifname, pkts, r.pkt_len,
			       secs, pps, gbps, r.o.gso ? " (TSO)" : "");
		if (!r.o.json && r.n)
			printf("  %.4f kicks and %.4f calls per packet (batch %u)\n",
			       (double)kicks / (double)pkts, (double)calls / (double)pkts, r.o.batch);
		if (!r.o.json)
			printf("  CPU: %.3f s in this thread, %.3f s in the vhost-net worker\n", cpu,
			       vhost);
		if (!r.o.json && !r.o.tx)
			printf("  the stack sent %" PRIu64 "; the rest was dropped on the way\n",
			       r.sender_sent);
	}
out:
	vqchar_net_close(r.n);
	if (r.fd >= 0)
		close(r.fd);
	free(r.pkt);
	return ret ? VN_EXIT_FAIL : VN_EXIT_OK;
}
