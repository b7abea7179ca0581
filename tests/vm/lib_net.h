/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the tests of libvqchar's net API (tests/vm/lib_net_*.c):
 * IPv4/UDP/TCP packets built and parsed by hand, interface set-up by
 * ioctl (no tool needed in the guest), and loops that drive a pair with
 * bounded waits.  They return 0 / a value or -errno; tests assert.
 */
#ifndef VQ_LIB_NET_H
#define VQ_LIB_NET_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <endian.h>

#include <vqchar.h>
#include <vqchar_net.h>

#define NT_IP(a, b, c, d)	htonl(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

static inline int64_t nt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline uint32_t nt_hash(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x;
}

/* Deterministic bytes for packet @seq: its number first, then a xorshift. */
static inline void nt_fill(uint8_t *p, size_t len, uint32_t seq)
{
	uint32_t x = nt_hash(seq) | 1;
	size_t i = 0;

	for (; i < len && i < 4; i++)
		p[i] = (uint8_t)(seq >> (8 * i));
	for (; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static inline void nt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t nt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void nt_put32(uint8_t *p, uint32_t v)
{
	nt_put16(p, (uint16_t)(v >> 16));
	nt_put16(p + 2, (uint16_t)v);
}

static inline uint32_t nt_get32(const uint8_t *p)
{
	return (uint32_t)nt_get16(p) << 16 | nt_get16(p + 2);
}

/* Ones' complement sum (RFC 1071), not folded. */
static inline uint32_t nt_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += nt_get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t nt_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The IPv4 pseudo-header's sum for a transport segment of @len bytes. */
static inline uint32_t nt_pseudo(uint32_t saddr, uint32_t daddr, uint8_t proto, uint32_t len)
{
	uint8_t ph[12];

	memcpy(ph, &saddr, 4);
	memcpy(ph + 4, &daddr, 4);
	ph[8] = 0;
	ph[9] = proto;
	nt_put16(ph + 10, (uint16_t)len);
	return nt_sum(ph, 12, 0);
}

/* A 20-byte IPv4 header with its checksum. */
static inline void nt_ip4(uint8_t *ip, uint32_t saddr, uint32_t daddr, uint8_t proto,
			  uint32_t total, uint16_t id)
{
	ip[0] = 0x45;
	ip[1] = 0;
	nt_put16(ip + 2, (uint16_t)total);
	nt_put16(ip + 4, id);
	nt_put16(ip + 6, 0x4000);	/* DF */
	ip[8] = 64;
	ip[9] = proto;
	nt_put16(ip + 10, 0);
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	nt_put16(ip + 10, (uint16_t)~nt_fold(nt_sum(ip, 20, 0)));
}

/* IPv4 + UDP (full checksum) around @len payload bytes already at pkt + 28. */
static inline size_t nt_udp4(uint8_t *pkt, uint32_t saddr, uint32_t daddr, uint16_t sport,
			     uint16_t dport, size_t len, uint16_t id)
{
	uint8_t *udp = pkt + 20;
	uint16_t c;

	nt_ip4(pkt, saddr, daddr, IPPROTO_UDP, (uint32_t)(28 + len), id);
	nt_put16(udp, sport);
	nt_put16(udp + 2, dport);
	nt_put16(udp + 4, (uint16_t)(8 + len));
	nt_put16(udp + 6, 0);
	c = (uint16_t)~nt_fold(nt_sum(udp, 8 + len, nt_pseudo(saddr, daddr, IPPROTO_UDP,
							       (uint32_t)(8 + len))));
	nt_put16(udp + 6, c ? c : 0xffff);
	return 28 + len;
}

struct nt_ip_info {
	int family;		/* AF_INET or AF_INET6 */
	size_t ip_hlen;
	uint32_t saddr;		/* IPv4 */
	uint32_t daddr;
	uint8_t src[16];	/* either family's, 4 or 16 bytes */
	uint8_t dst[16];
	uint8_t proto;
	uint16_t sport;
	uint16_t dport;
	const uint8_t *l4;
	size_t l4_len;
	const uint8_t *payload;
	size_t payload_len;
};

/* The UDP or TCP header at in->l4 (in->l4_len bytes): ports and payload. */
static inline int nt_parse_l4(struct nt_ip_info *in)
{
	size_t off;

	if (in->proto == IPPROTO_UDP) {
		if (in->l4_len < 8 || nt_get16(in->l4 + 4) != in->l4_len)
			return -EBADMSG;
		off = 8;
	} else if (in->proto == IPPROTO_TCP) {
		if (in->l4_len < 20 || (size_t)(in->l4[12] >> 4) * 4 > in->l4_len)
			return -EBADMSG;
		off = (size_t)(in->l4[12] >> 4) * 4;
	} else {
		return -EPROTO;
	}
	in->sport = nt_get16(in->l4);
	in->dport = nt_get16(in->l4 + 2);
	in->payload = in->l4 + off;
	in->payload_len = in->l4_len - off;
	return 0;
}

/* Parse IPv4 + UDP/TCP (no fragments).  0, -EPROTO (other), -EBADMSG. */
static inline int nt_parse_ip4(const uint8_t *p, size_t len, struct nt_ip_info *in)
{
	size_t ihl, tot;

	if (len < 20 || (p[0] >> 4) != 4)
		return -EPROTO;
	ihl = (size_t)(p[0] & 15) * 4;
	tot = nt_get16(p + 2);
	if (ihl < 20 || tot < ihl || tot > len || nt_fold(nt_sum(p, ihl, 0)) != 0xffff)
		return -EBADMSG;
	if (nt_get16(p + 6) & 0x3fff)
		return -EPROTO;
	in->family = AF_INET;
	in->ip_hlen = ihl;
	in->proto = p[9];
	memcpy(&in->saddr, p + 12, 4);
	memcpy(&in->daddr, p + 16, 4);
	memcpy(in->src, p + 12, 4);
	memcpy(in->dst, p + 16, 4);
	in->l4 = p + ihl;
	in->l4_len = tot - ihl;
	return nt_parse_l4(in);
}

/* TCP flags */
#define NT_FIN	0x01
#define NT_SYN	0x02
#define NT_RST	0x04
#define NT_PSH	0x08
#define NT_ACK	0x10

/* ---- interfaces ---- */

static inline int nt_ifreq(int family, unsigned long cmd, struct ifreq *ifr)
{
	int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (s < 0)
		return -errno;
	if (ioctl(s, cmd, ifr) < 0)
		ret = -errno;
	close(s);
	return ret;
}

/* Address @addr/@prefix on @ifname, MTU @mtu (0: leave), and up. */
static inline int nt_if_setup(const char *ifname, uint32_t addr, unsigned int prefix,
			      unsigned int mtu)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct ifreq ifr;
	char path[96];
	int ret, fd;

	/* No IPv6 chatter (router solicitations) on the link. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0) {
			/* best effort */
		}
		close(fd);
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin.sin_addr.s_addr = addr;
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	ret = nt_ifreq(AF_INET, SIOCSIFADDR, &ifr);
	if (ret)
		return ret;
	sin.sin_addr.s_addr = htonl(prefix ? 0xffffffffu << (32 - prefix) : 0);
	memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
	ret = nt_ifreq(AF_INET, SIOCSIFNETMASK, &ifr);
	if (ret)
		return ret;
	if (mtu) {
		ifr.ifr_mtu = (int)mtu;
		ret = nt_ifreq(AF_INET, SIOCSIFMTU, &ifr);
		if (ret)
			return ret;
	}
	ret = nt_ifreq(AF_INET, SIOCGIFFLAGS, &ifr);
	if (ret)
		return ret;
	ifr.ifr_flags |= IFF_UP;
	return nt_ifreq(AF_INET, SIOCSIFFLAGS, &ifr);
}

static inline int nt_udp_socket(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = addr };
	int s, size = 4 << 20, ret;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		ret = -errno;
		close(s);
		return ret;
	}
	return s;
}

/* ---- driving a pair ---- */

/* Copy a received packet's bytes out.  Returns its length, or 0 if > @cap. */
static inline size_t nt_gather(const struct vqchar_net_rxpkt *pkt, uint8_t *dst, size_t cap)
{
	size_t off = 0;
	uint32_t i;

	if (pkt->len > cap)
		return 0;
	for (i = 0; i < pkt->nr_iov; i++) {
		memcpy(dst + off, pkt->iov[i].iov_base, pkt->iov[i].iov_len);
		off += pkt->iov[i].iov_len;
	}
	return off;
}

/*
 * Send @nr packets on @pair, waiting for room as needed, at most
 * @timeout_ms without progress.  Returns 0 or -errno.
 */
static inline int nt_send_all(struct vqchar_net *n, unsigned int pair,
			      const struct vqchar_net_pkt *pkts, unsigned int nr, int timeout_ms)
{
	unsigned int done = 0;

	while (done < nr) {
		int r = vqchar_net_send(n, pair, pkts + done, nr - done, 0);

		if (r < 0)
			return r;
		done += (unsigned int)r;
		if (done < nr && !r) {
			r = vqchar_net_wait(n, pair, VQCHAR_NET_TX, timeout_ms);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- IPv6 ---- */

/* The IPv6 pseudo-header's sum (RFC 8200 8.1) for @len transport bytes. */
static inline uint32_t nt_pseudo6(const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
				  uint32_t len)
{
	uint8_t ph[8] = { 0 };

	nt_put32(ph, len);
	ph[7] = proto;
	return nt_sum(ph, 8, nt_sum(daddr, 16, nt_sum(saddr, 16, 0)));
}

/* A 40-byte IPv6 header, no extension headers. */
static inline void nt_ip6(uint8_t *ip, const uint8_t *saddr, const uint8_t *daddr, uint8_t proto,
			  uint32_t payload_len)
{
	memset(ip, 0, 8);
	ip[0] = 0x60;
	nt_put16(ip + 4, (uint16_t)payload_len);
	ip[6] = proto;
	ip[7] = 64;
	memcpy(ip + 8, saddr, 16);
	memcpy(ip + 24, daddr, 16);
}

/* Parse IPv6 + UDP/TCP (no extension headers), as nt_parse_ip4(). */
static inline int nt_parse_ip6(const uint8_t *p, size_t len, struct nt_ip_info *in)
{
	if (len < 40 || (p[0] >> 4) != 6)
		return -EPROTO;
	if (40 + (size_t)nt_get16(p + 4) > len)
		return -EBADMSG;
	memset(&in->saddr, 0, sizeof(in->saddr));
	memset(&in->daddr, 0, sizeof(in->daddr));
	in->family = AF_INET6;
	in->ip_hlen = 40;
	in->proto = p[6];
	memcpy(in->src, p + 8, 16);
	memcpy(in->dst, p + 24, 16);
	in->l4 = p + 40;
	in->l4_len = nt_get16(p + 4);
	return nt_parse_l4(in);
}

/* Either family, by the version nibble. */
static inline int nt_parse_ip(const uint8_t *p, size_t len, struct nt_ip_info *in)
{
	if (len && (p[0] >> 4) == 6)
		return nt_parse_ip6(p, len, in);
	return nt_parse_ip4(p, len, in);
}

/* The pseudo-header sum of a parsed packet's transport segment. */
static inline uint32_t nt_pseudo_of(const struct nt_ip_info *in)
{
	if (in->family == AF_INET6)
		return nt_pseudo6(in->src, in->dst, in->proto, (uint32_t)in->l4_len);
	return nt_pseudo(in->saddr, in->daddr, in->proto, (uint32_t)in->l4_len);
}

static inline int nt_sysctl(const char *fmt, const char *ifname, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), fmt, ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * IPv6 on @ifname (set up by nt_if_setup(), which turned it off): the
 * address @addr/@prefix without duplicate detection, and no router
 * solicitations.  Returns once a socket can bind the address (the kernel
 * still marks it tentative for a moment, from a work item).
 */
static inline int nt_if_setup6(const char *ifname, const uint8_t *addr, unsigned int prefix)
{
	struct in6_ifreq {
		struct in6_addr ifr6_addr;
		uint32_t ifr6_prefixlen;
		int ifr6_ifindex;
	} r6;
	int ret, s, tries;

	ret = nt_sysctl("/proc/sys/net/ipv6/conf/%s/accept_dad", ifname, "0");
	if (!ret)
		ret = nt_sysctl("/proc/sys/net/ipv6/conf/%s/router_solicitations", ifname, "0");
	if (!ret)
		ret = nt_sysctl("/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname, "0");
	if (ret)
		return ret;
	memset(&r6, 0, sizeof(r6));
	memcpy(&r6.ifr6_addr, addr, 16);
	r6.ifr6_prefixlen = prefix;
	r6.ifr6_ifindex = (int)if_nametoindex(ifname);
	if (!r6.ifr6_ifindex)
		return -errno;
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	ret = ioctl(s, SIOCSIFADDR, &r6) < 0 ? -errno : 0;
	close(s);
	for (tries = 0; !ret && tries < 500; tries++) {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

		memcpy(&sin6.sin6_addr, addr, 16);
		s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			return -errno;
		ret = bind(s, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 ? -errno : 0;
		close(s);
		if (ret != -EADDRNOTAVAIL)
			return ret;
		ret = 0;
		usleep(10000);
	}
	return ret ? ret : -EADDRNOTAVAIL;
}

/* ---- TCP played by hand over the rings ---- */

/*
 * One TCP connection between a socket of the stack and the rings.  The
 * addresses are 4 (AF_INET) or 16 bytes, network order.
 */
struct nt_tcp_flow {
	int family;
	uint8_t ring[16];
	uint8_t stack[16];
	uint16_t ring_port;
	uint16_t stack_port;
	uint16_t mss;		/* what the rings' SYN offers */
	uint32_t ring_seq;	/* the next byte the rings send */
	uint32_t stack_seq;	/* the next byte the stack sends: what the rings ack */
};

static inline size_t nt_flow_ip_hlen(const struct nt_tcp_flow *f)
{
	return f->family == AF_INET6 ? 40 : 20;
}

/*
 * IP + TCP header of a segment from the rings (seq ring_seq, ack
 * stack_seq, window 65535, an MSS option on a SYN) for @len payload bytes
 * that follow.  Checksum partial (the pseudo-header sum, as NEEDS_CSUM
 * wants) unless @full, then over the payload too.  Returns the length.
 */
static inline size_t nt_tcp_hdr(const struct nt_tcp_flow *f, uint8_t *pkt, uint8_t flags,
				size_t len, int full)
{
	size_t iph = nt_flow_ip_hlen(f), thl = (flags & NT_SYN) ? 24 : 20;
	uint8_t *tcp = pkt + iph;
	uint32_t sum;

	if (f->family == AF_INET6) {
		nt_ip6(pkt, f->ring, f->stack, IPPROTO_TCP, (uint32_t)(thl + len));
		sum = nt_pseudo6(f->ring, f->stack, IPPROTO_TCP, (uint32_t)(thl + len));
	} else {
		uint32_t s, d;

		memcpy(&s, f->ring, 4);
		memcpy(&d, f->stack, 4);
		nt_ip4(pkt, s, d, IPPROTO_TCP, (uint32_t)(20 + thl + len), 0);
		sum = nt_pseudo(s, d, IPPROTO_TCP, (uint32_t)(thl + len));
	}
	memset(tcp, 0, thl);
	nt_put16(tcp, f->ring_port);
	nt_put16(tcp + 2, f->stack_port);
	nt_put32(tcp + 4, f->ring_seq);
	nt_put32(tcp + 8, (flags & NT_ACK) ? f->stack_seq : 0);
	tcp[12] = (uint8_t)((thl / 4) << 4);
	tcp[13] = flags;
	nt_put16(tcp + 14, 65535);	/* window, unscaled */
	if (thl == 24) {
		tcp[20] = 2;	/* MSS */
		tcp[21] = 4;
		nt_put16(tcp + 22, f->mss);
	}
	if (full)
		nt_put16(tcp + 16, (uint16_t)~nt_fold(nt_sum(tcp, thl + len, sum)));
	else
		nt_put16(tcp + 16, nt_fold(sum));
	return iph + thl;
}

/* The virtio-net header of a partially checksummed segment of @f. */
static inline struct vqchar_net_hdr nt_tcp_csum_hdr(const struct nt_tcp_flow *f)
{
	return (struct vqchar_net_hdr){
		.flags = VQCHAR_NET_HDR_F_NEEDS_CSUM,
		.csum_start = htole16((uint16_t)nt_flow_ip_hlen(f)),
		.csum_offset = htole16(16),
	};
}

/* Does parsed packet @in belong to @f, from the stack? */
static inline int nt_flow_from_stack(const struct nt_tcp_flow *f, const struct nt_ip_info *in)
{
	if (in->proto != IPPROTO_TCP || in->family != f->family ||
	    in->sport != f->stack_port || in->dport != f->ring_port)
		return 0;
	if (f->family == AF_INET6)
		return !memcmp(in->src, f->stack, 16) && !memcmp(in->dst, f->ring, 16);
	return !memcmp(&in->saddr, f->stack, 4) && !memcmp(&in->daddr, f->ring, 4);
}

/* A listening TCP socket of the stack on @addr (4 or 16 bytes), @port. */
static inline int nt_tcp_listen(int family, const uint8_t *addr, uint16_t port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s, one = 1, size = 1 << 20, ret;

	s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (family == AF_INET6)
		memcpy(&s6.sin6_addr, addr, 16);
	else
		memcpy(&s4.sin_addr, addr, 4);
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) ||
	    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) ||
	    (family == AF_INET6 ? bind(s, (struct sockaddr *)&s6, sizeof(s6)) :
				  bind(s, (struct sockaddr *)&s4, sizeof(s4))) ||
	    listen(s, 1)) {
		ret = -errno;
		close(s);
		return ret;
	}
	return s;
}

/* Close a connected socket with a reset: no FIN left for later tests. */
static inline void nt_tcp_abort(int s)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	(void)setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(s);
}

/*
 * Receive on pair 0 until a segment of @f from the stack arrives, at most
 * @timeout_ms.  Its bytes go to @flat, its parse to @in, its header,
 * length and buffer count to @meta if not NULL (@meta->iov is stale: the
 * buffers went back).  Other traffic is dropped.  0 or -errno.
 */
static inline int nt_recv_flow(struct vqchar_net *n, const struct nt_tcp_flow *f, uint8_t *flat,
			       size_t cap, struct nt_ip_info *in, struct vqchar_net_rxpkt *meta,
			       int timeout_ms)
{
	int64_t end = nt_now_ms() + timeout_ms;

	while (nt_now_ms() < end) {
		struct vqchar_net_rxpkt rx;
		struct iovec iov[256];
		int r = vqchar_net_recv(n, 0, &rx, 1, iov, 256);
		size_t len;

		if (r < 0)
			return r;
		if (!r) {
			r = vqchar_net_wait(n, 0, VQCHAR_NET_RX, 200);
			if (r < 0 && r != -ETIMEDOUT)
				return r;
			continue;
		}
		len = nt_gather(&rx, flat, cap);
		if (meta)
			*meta = rx;
		r = vqchar_net_recv_done(n, 0, &rx, 1);
		if (r < 0)
			return r;
		if (!nt_parse_ip(flat, len, in) && nt_flow_from_stack(f, in))
			return 0;
	}
	return -ETIMEDOUT;
}

/*
 * Play the client's side of a handshake with @lsock (listening on
 * f->stack): a SYN with a full checksum and no header, the SYN-ACK
 * checked, the ACK with a partial one (NEEDS_CSUM).  Returns the accepted
 * socket, or -errno (-EPROTO: the stack answered something else).
 */
static inline int nt_tcp_connect(struct vqchar_net *n, struct nt_tcp_flow *f, int lsock,
				 int timeout_ms)
{
	static uint8_t flat[65536 + 64];
	struct vqchar_net_hdr hdr = nt_tcp_csum_hdr(f);
	struct pollfd pfd = { .fd = lsock, .events = POLLIN };
	uint8_t seg[64];
	struct iovec iov = { seg, 0 };
	struct vqchar_net_pkt pkt = { .iov = &iov, .iov_cnt = 1 };
	struct nt_ip_info in;
	int ret;

	iov.iov_len = nt_tcp_hdr(f, seg, NT_SYN, 0, 1);
	ret = nt_send_all(n, 0, &pkt, 1, timeout_ms);
	if (ret)
		return ret;
	ret = nt_recv_flow(n, f, flat, sizeof(flat), &in, NULL, timeout_ms);
	if (ret)
		return ret;
	if ((in.l4[13] & (NT_SYN | NT_ACK | NT_RST)) != (NT_SYN | NT_ACK) ||
	    nt_get32(in.l4 + 8) != f->ring_seq + 1)
		return -EPROTO;
	f->ring_seq++;
	f->stack_seq = nt_get32(in.l4 + 4) + 1;
	iov.iov_len = nt_tcp_hdr(f, seg, NT_ACK, 0, 0);
	pkt.hdr = &hdr;
	ret = nt_send_all(n, 0, &pkt, 1, timeout_ms);
	if (ret)
		return ret;
	ret = poll(&pfd, 1, timeout_ms);
	if (ret <= 0)
		return ret ? -errno : -ETIMEDOUT;
	ret = accept4(lsock, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	return ret < 0 ? -errno : ret;
}

/* A bare ACK of everything the stack sent so far. */
static inline int nt_tcp_ack(struct vqchar_net *n, const struct nt_tcp_flow *f, int timeout_ms)
{
	struct vqchar_net_hdr hdr = nt_tcp_csum_hdr(f);
	uint8_t seg[64];
	struct iovec iov = { seg, nt_tcp_hdr(f, seg, NT_ACK, 0, 0) };
	struct vqchar_net_pkt pkt = { .hdr = &hdr, .iov = &iov, .iov_cnt = 1 };

	return nt_send_all(n, 0, &pkt, 1, timeout_ms);
}

/*
 * Open @p's interface and give it @addr/24 and @mtu (0: leave): what
 * every tun fixture does first.  0 or -errno.
 */
static inline int nt_open_tun(const struct vqchar_net_params *p, uint32_t addr, unsigned int mtu,
			      struct vqchar_net **np)
{
	int ret = vqchar_net_open(p, np);

	if (ret)
		return ret;
	return nt_if_setup(vqchar_net_ifname(*np), addr, 24, mtu);
}

#endif /* VQ_LIB_NET_H */
