// SPDX-License-Identifier: MIT
/*
 * vqnet: a tap driven by libvqchar's net API (see vhost_net.h), and the
 * helpers the tests and the demo use on the stack's side of the tap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "vhost_net.h"

int vqnet_probe(const char **missing)
{
	static const char *const paths[] = { "/dev/vhost-net", "/dev/net/tun" };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		int fd = open(paths[i], O_RDWR | O_CLOEXEC);

		if (fd < 0) {
			if (missing)
				*missing = paths[i];
			return -errno;
		}
		close(fd);
	}
	return 0;
}

static int vqnet_ifreq(int s, unsigned long cmd, struct ifreq *ifr)
{
	return ioctl(s, cmd, ifr) < 0 ? -errno : 0;
}

/*
 * Keep IPv6 (router solicitations, MLD) off the tap so that the only
 * frames the stack sends there are the ones asked for.  Best effort: the
 * file does not exist without IPv6 or without /proc.
 */
static void vqnet_no_ipv6(const char *ifname)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) < 0) {
		/* Nothing to do: the test filters foreign frames anyway. */
	}
	close(fd);
}

int vqnet_open(const struct vqnet_config *cfg, struct vqnet **np)
{
	struct vqchar_net_params p = {
		.backend = cfg->backend,
		.flags = VQCHAR_NET_TAP | VQCHAR_NET_UP | VQCHAR_NET_BEST_EFFORT,
		.num = cfg->num,
		.features = cfg->features & VQCHAR_F_ALL,
		.ifname = cfg->ifname ? cfg->ifname : "vqtap%d",
	};
	struct ifreq ifr;
	struct vqnet *n;
	int s, ret;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	ret = vqchar_net_open(&p, &n->net);
	if (ret) {
		free(n);
		return ret;
	}
	snprintf(n->ifname, sizeof(n->ifname), "%s", vqchar_net_ifname(n->net));
	n->ifindex = vqchar_net_ifindex(n->net);
	vqnet_no_ipv6(n->ifname);

	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ret = s < 0 ? -errno : 0;
	if (!ret) {
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, n->ifname, sizeof(ifr.ifr_name));
		ret = vqnet_ifreq(s, SIOCGIFHWADDR, &ifr);
		memcpy(n->mac, ifr.ifr_hwaddr.sa_data, 6);
		close(s);
	}
	if (ret) {
		vqnet_close(n);
		return ret;
	}
	*np = n;
	return 0;
}

void vqnet_close(struct vqnet *n)
{
	if (!n)
		return;
	vqchar_net_close(n->net);
	free(n);
}

uint64_t vqnet_features(const struct vqnet *n)
{
	return vqchar_net_features(n->net);
}

int vqnet_tx_complete(struct vqnet *n)
{
	return vqchar_net_tx_reclaim(n->net, 0);
}

int vqnet_tx_send(struct vqnet *n, const struct iovec *frames, unsigned int nr)
{
	struct vqchar_net_pkt pkts[64];
	unsigned int done = 0;

	while (done < nr) {
		unsigned int k = nr - done < 64 ? nr - done : 64, i;
		int ret;

		for (i = 0; i < k; i++) {
			if (!frames[done + i].iov_len || frames[done + i].iov_len > VQNET_MAX_FRAME)
				return done ? (int)done : -EMSGSIZE;
			pkts[i] = (struct vqchar_net_pkt){ .iov = &frames[done + i], .iov_cnt = 1 };
		}
		ret = vqchar_net_send(n->net, 0, pkts, k, 0);
		if (ret < 0)
			return done ? (int)done : ret;
		done += (unsigned int)ret;
		if ((unsigned int)ret < k)
			break;
	}
	return (int)done;
}

int vqnet_rx_take(struct vqnet *n, struct vqnet_frame *f)
{
	struct vqchar_net_rxpkt *pkt;
	int ret;

	if (n->rx_next == n->rx_n) {
		ret = vqchar_net_recv(n->net, 0, n->rx, VQNET_RX_BATCH, n->rx_iov, VQNET_RX_BATCH);
		if (ret <= 0)
			return ret;
		n->rx_n = (unsigned int)ret;
		n->rx_next = 0;
	}
	pkt = &n->rx[n->rx_next++];
	f->pkt = *pkt;
	f->hdr = pkt->hdr;
	if (pkt->nr_iov != 1) {
		vqchar_net_recv_done(n->net, 0, pkt, 1);
		return -EMSGSIZE;
	}
	f->seg = pkt->iov[0];
	f->data = f->seg.iov_base;
	f->len = pkt->len;
	return 1;
}

int vqnet_rx_release(struct vqnet *n, struct vqnet_frame *f)
{
	/* The frame's own copy of its segment: the batch's array moves on. */
	f->pkt.iov = &f->seg;
	f->pkt.nr_iov = 1;
	return vqchar_net_recv_done(n->net, 0, &f->pkt, 1);
}

int vqnet_wait(struct vqnet *n, unsigned int want, int fd, int timeout_ms)
{
	unsigned int ev = 0, ready = 0, i, np = 0;
	struct vqchar_queue *q;
	struct pollfd p[5];
	int ret;

	if (n->rx_next < n->rx_n && (want & VQNET_READY_RX))
		return VQNET_READY_RX;
	ev |= (want & VQNET_READY_RX) ? VQCHAR_NET_RX : 0;
	ev |= (want & VQNET_READY_TX) ? VQCHAR_NET_TX : 0;
	if (ev) {
		ret = vqchar_net_arm(n->net, 0, ev);
		if (ret < 0)
			return ret;
		if (ret)
			return ((ret & VQCHAR_NET_RX) ? VQNET_READY_RX : 0) |
			       ((ret & VQCHAR_NET_TX) ? VQNET_READY_TX : 0);
	}
	for (i = 0; i < 2; i++) {
		unsigned int side = i ? VQCHAR_NET_TX : VQCHAR_NET_RX;

		if (!(ev & side))
			continue;
		q = vqchar_net_queue(n->net, 0, side);
		p[np++] = (struct pollfd){ .fd = vqchar_net_fd(n->net, 0, side), .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = vqchar_queue_err_fd(q), .events = POLLIN };
	}
	if (fd >= 0)
		p[np++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	ret = poll(p, np, timeout_ms);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	for (i = 0; i + 1 < np - (fd >= 0); i += 2)
		if (p[i + 1].revents & POLLIN)
			return -EIO;
	for (i = 0; i < 2; i++) {
		unsigned int side = i ? VQCHAR_NET_TX : VQCHAR_NET_RX;

		if ((ev & side) && vqchar_used_pending(vqchar_net_queue(n->net, 0, side)))
			ready |= i ? VQNET_READY_TX : VQNET_READY_RX;
	}
	if (fd >= 0 && (p[np - 1].revents & (POLLIN | POLLERR | POLLHUP)))
		ready |= VQNET_READY_FD;
	/* A call for chains already taken is a wake-up with nothing to do. */
	return ready ? (int)ready : -EAGAIN;
}

/* ---- the stack's side of the tap ---- */

int vqnet_tap_ipv4(struct vqnet *n, uint32_t local, unsigned int prefix, uint32_t peer,
		   const uint8_t peer_mac[6])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct arpreq ar;
	struct ifreq ifr;
	int s, ret;

	if (prefix > 32)
		return -EINVAL;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, n->ifname, sizeof(ifr.ifr_name));
	sin.sin_addr.s_addr = local;
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	ret = vqnet_ifreq(s, SIOCSIFADDR, &ifr);
	if (!ret) {
		sin.sin_addr.s_addr = htonl(prefix ? 0xffffffffu << (32 - prefix) : 0);
		memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
		ret = vqnet_ifreq(s, SIOCSIFNETMASK, &ifr);
	}
	if (!ret)
		ret = vqnet_ifreq(s, SIOCGIFFLAGS, &ifr);
	if (!ret && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ret = vqnet_ifreq(s, SIOCSIFFLAGS, &ifr);
	}
	if (!ret) {
		memset(&ar, 0, sizeof(ar));
		sin.sin_addr.s_addr = peer;
		memcpy(&ar.arp_pa, &sin, sizeof(sin));
		ar.arp_ha.sa_family = ARPHRD_ETHER;
		memcpy(ar.arp_ha.sa_data, peer_mac, 6);
		ar.arp_flags = ATF_PERM | ATF_COM;
		memcpy(ar.arp_dev, n->ifname, sizeof(ar.arp_dev));
		if (ioctl(s, SIOCSARP, &ar) < 0)
			ret = -errno;
	}
	close(s);
	return ret;
}

int vqnet_udp_socket(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s, ret, size = 4 << 20;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	/* FORCE goes past net.core.rmem_max (root only); else take what we get. */
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	sin.sin_addr.s_addr = addr;
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		ret = -errno;
		close(s);
		return ret;
	}
	return s;
}

static void vqnet_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t vqnet_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The Internet checksum's ones' complement sum (RFC 1071), folded. */
static uint16_t vqnet_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += vqnet_get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

size_t vqnet_udp4_build(uint8_t *frame, size_t cap, const struct vqnet_udp4 *h,
			const void *payload, size_t len)
{
	uint8_t *ip = frame + 14, *udp = ip + 20;
	size_t total = VQNET_UDP4_HDRS + len;

	if (len > 65507 || total > cap)
		return 0;
	memcpy(frame, h->dst_mac, 6);
	memcpy(frame + 6, h->src_mac, 6);
	vqnet_put16(frame + 12, 0x0800);

	ip[0] = 0x45;
	ip[1] = 0;
	vqnet_put16(ip + 2, (uint16_t)(20 + 8 + len));
	vqnet_put16(ip + 4, h->ip_id);
	vqnet_put16(ip + 6, 0);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	vqnet_put16(ip + 10, 0);
	memcpy(ip + 12, &h->saddr, 4);
	memcpy(ip + 16, &h->daddr, 4);
	vqnet_put16(ip + 10, (uint16_t)~vqnet_csum(ip, 20));

	vqnet_put16(udp, h->sport);
	vqnet_put16(udp + 2, h->dport);
	vqnet_put16(udp + 4, (uint16_t)(8 + len));
	vqnet_put16(udp + 6, 0);	/* no checksum: allowed over IPv4 */
	memcpy(udp + 8, payload, len);
	return total;
}

int vqnet_udp4_parse(const uint8_t *frame, size_t len, struct vqnet_udp4 *h,
		     const uint8_t **payload, size_t *plen)
{
	const uint8_t *ip = frame + 14, *udp;
	size_t ihl, tot, ulen;

	if (len < 14 || vqnet_get16(frame + 12) != 0x0800)
		return -EPROTO;
	if (len < 14 + 20 || (ip[0] >> 4) != 4)
		return -EBADMSG;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = vqnet_get16(ip + 2);
	if (ihl < 20 || tot < ihl || tot > len - 14 || vqnet_csum(ip, ihl) != 0xffff)
		return -EBADMSG;
	if (vqnet_get16(ip + 6) & 0x3fff)	/* MF or a fragment offset */
		return -EPROTO;
	if (ip[9] != IPPROTO_UDP)
		return -EPROTO;
	udp = ip + ihl;
	if (tot < ihl + 8)
		return -EBADMSG;
	ulen = vqnet_get16(udp + 4);
	if (ulen != tot - ihl)
		return -EBADMSG;
	memcpy(h->dst_mac, frame, 6);
	memcpy(h->src_mac, frame + 6, 6);
	memcpy(&h->saddr, ip + 12, 4);
	memcpy(&h->daddr, ip + 16, 4);
	h->ip_id = vqnet_get16(ip + 4);
	h->sport = vqnet_get16(udp);
	h->dport = vqnet_get16(udp + 2);
	*payload = udp + 8;
	*plen = ulen - 8;
	return 0;
}
