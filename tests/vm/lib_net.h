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
	uint32_t saddr;
	uint32_t daddr;
	uint8_t proto;
	uint16_t sport;
	uint16_t dport;
	const uint8_t *l4;
	size_t l4_len;
	const uint8_t *payload;
	size_t payload_len;
};

/* Parse IPv4 + UDP/TCP (no fragments).  0, -EPROTO (other), -EBADMSG. */
static inline int nt_parse_ip4(const uint8_t *p, size_t len, struct nt_ip_info *in)
{
	size_t ihl, tot, off;

	if (len < 20 || (p[0] >> 4) != 4)
		return -EPROTO;
	ihl = (size_t)(p[0] & 15) * 4;
	tot = nt_get16(p + 2);
	if (ihl < 20 || tot < ihl || tot > len || nt_fold(nt_sum(p, ihl, 0)) != 0xffff)
		return -EBADMSG;
	if (nt_get16(p + 6) & 0x3fff)
		return -EPROTO;
	in->proto = p[9];
	memcpy(&in->saddr, p + 12, 4);
	memcpy(&in->daddr, p + 16, 4);
	in->l4 = p + ihl;
	in->l4_len = tot - ihl;
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

/* TCP flags */
#define NT_FIN	0x01
#define NT_SYN	0x02
#define NT_RST	0x04
#define NT_PSH	0x08
#define NT_ACK	0x10

/*
 * IPv4 + TCP header (20 + 20, or 24 with an MSS option on a SYN) at @pkt
 * for @len payload bytes that follow.  The TCP checksum is left partial
 * (the pseudo-header sum, as virtio's NEEDS_CSUM wants); @full fills it.
 */
static inline size_t nt_tcp4(uint8_t *pkt, uint32_t saddr, uint32_t daddr, uint16_t sport,
			     uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
			     size_t len, int full)
{
	size_t thl = (flags & NT_SYN) ? 24 : 20;
	uint8_t *tcp = pkt + 20;
	uint32_t sum;

	nt_ip4(pkt, saddr, daddr, IPPROTO_TCP, (uint32_t)(20 + thl + len), 0);
	memset(tcp, 0, thl);
	nt_put16(tcp, sport);
	nt_put16(tcp + 2, dport);
	nt_put32(tcp + 4, seq);
	nt_put32(tcp + 8, ack);
	tcp[12] = (uint8_t)((thl / 4) << 4);
	tcp[13] = flags;
	nt_put16(tcp + 14, 65535);	/* window */
	if (thl == 24) {
		tcp[20] = 2;	/* MSS */
		tcp[21] = 4;
		nt_put16(tcp + 22, 1460);
	}
	sum = nt_pseudo(saddr, daddr, IPPROTO_TCP, (uint32_t)(thl + len));
	if (full)
		nt_put16(tcp + 16, (uint16_t)~nt_fold(nt_sum(tcp, thl + len, sum)));
	else
		nt_put16(tcp + 16, nt_fold(sum));
	return 20 + thl;
}

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

#endif /* VQ_LIB_NET_H */
