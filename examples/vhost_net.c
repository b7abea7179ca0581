// SPDX-License-Identifier: MIT
/*
 * vqnet: libvqchar queues driven by vhost-net, with a tap as the network
 * end.  See vhost_net.h for the model and why each queue gets its own
 * vhost-net instance.
 *
 * The vhost-net set-up follows tools/virtio/vhost_net_test.c and
 * drivers/vhost/net.c: VHOST_SET_OWNER, VHOST_GET_FEATURES /
 * VHOST_SET_FEATURES, VHOST_SET_MEM_TABLE, then per virtqueue
 * VHOST_SET_VRING_NUM / _BASE / _ADDR / _KICK / _CALL / _ERR and last
 * VHOST_NET_SET_BACKEND, which checks the ring addresses and starts the
 * queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
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

#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "vhost_net.h"

_Static_assert(sizeof(struct virtio_net_hdr_v1) == VQNET_HDR_LEN,
	       "VERSION_1 virtio-net header is 12 bytes");

#define VQNET_DEFAULT_NUM	256
#define VQNET_TAKE_BATCH	64

static void vqnet_why(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void vqnet_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

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

/* A socket for the interface ioctls (SIOCSIFFLAGS etc. work on any family). */
static int vqnet_ctl_socket(int family)
{
	int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0 && family != AF_UNIX)
		s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return s < 0 ? -errno : s;
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

static int vqnet_tap_open(struct vqnet *n, const char *pattern, char *why, size_t why_len)
{
	struct ifreq ifr;
	int hdr = VQNET_HDR_LEN, le = 1, s, ret;

	n->tap_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (n->tap_fd < 0) {
		ret = -errno;
		vqnet_why(why, why_len, "cannot open /dev/net/tun: %s", strerror(-ret));
		return ret;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", pattern);
	if (ioctl(n->tap_fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		vqnet_why(why, why_len, "TUNSETIFF %s: %s", pattern, strerror(-ret));
		return ret;
	}
	memcpy(n->ifname, ifr.ifr_name, sizeof(n->ifname));
	n->ifname[sizeof(n->ifname) - 1] = 0;
	/* VERSION_1 headers are 12 bytes (num_buffers included) and little endian. */
	if (ioctl(n->tap_fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		ret = -errno;
		vqnet_why(why, why_len, "TUNSETVNETHDRSZ: %s", strerror(-ret));
		return ret;
	}
	/* Only needed on big-endian hosts; refused where unsupported. */
	(void)ioctl(n->tap_fd, TUNSETVNETLE, &le);

	s = vqnet_ctl_socket(AF_UNIX);
	if (s < 0) {
		vqnet_why(why, why_len, "socket: %s", strerror(-s));
		return s;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, n->ifname, sizeof(ifr.ifr_name));
	ret = vqnet_ifreq(s, SIOCGIFINDEX, &ifr);
	if (!ret) {
		n->ifindex = ifr.ifr_ifindex;
		ret = vqnet_ifreq(s, SIOCGIFHWADDR, &ifr);
	}
	if (!ret) {
		memcpy(n->mac, ifr.ifr_hwaddr.sa_data, 6);
		vqnet_no_ipv6(n->ifname);
		ret = vqnet_ifreq(s, SIOCGIFFLAGS, &ifr);
	}
	if (!ret) {
		ifr.ifr_flags |= IFF_UP;
		ret = vqnet_ifreq(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	if (ret)
		vqnet_why(why, why_len, "bringing %s up: %s", n->ifname, strerror(-ret));
	return ret;
}

static int vqnet_vhost_ioctl(int fd, unsigned long cmd, void *arg, const char *name,
			     unsigned int idx, char *why, size_t why_len)
{
	int ret;

	if (ioctl(fd, cmd, arg) >= 0)
		return 0;
	ret = -errno;
	vqnet_why(why, why_len, "vhost-net %s (vq %u): %s", name, idx, strerror(-ret));
	return ret;
}

#define VHOST_DO(fd, cmd, arg, idx, why, len) \
	vqnet_vhost_ioctl(fd, cmd, arg, #cmd, idx, why, len)

/* Open a vhost-net instance and become its owner; returns what it offers. */
static int vqnet_vhost_open(unsigned int idx, uint64_t *offered, char *why, size_t why_len)
{
	int fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC), ret;

	if (fd < 0) {
		ret = -errno;
		vqnet_why(why, why_len, "cannot open /dev/vhost-net: %s", strerror(-ret));
		return ret;
	}
	ret = VHOST_DO(fd, VHOST_SET_OWNER, NULL, idx, why, why_len);
	if (!ret)
		ret = VHOST_DO(fd, VHOST_GET_FEATURES, offered, idx, why, why_len);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * Hand queue @idx to its vhost-net instance: features, a memory table
 * whose only region is the queue's pool at I/O address 0, the ring, the
 * eventfds, then the tap as backend.
 */
static int vqnet_vhost_setup(struct vqnet *n, unsigned int idx, char *why, size_t why_len)
{
	struct {
		struct vhost_memory mem;
		struct vhost_memory_region region;
	} table;
	struct vqchar_queue *q = n->q[idx];
	struct vqchar_ring_addrs a;
	struct vhost_vring_state state = { .index = idx };
	struct vhost_vring_addr addr = { .index = idx };
	struct vhost_vring_file file = { .index = idx };
	uint64_t features = n->vhost_features;
	int fd = n->vhost_fd[idx], ret;

	vqchar_queue_ring_addrs(q, &a);

	ret = VHOST_DO(fd, VHOST_SET_FEATURES, &features, idx, why, why_len);
	if (ret)
		return ret;

	memset(&table, 0, sizeof(table));
	table.mem.nregions = 1;
	table.region.guest_phys_addr = 0;
	table.region.memory_size = a.pool_size;
	table.region.userspace_addr = a.pool_user_addr;
	ret = VHOST_DO(fd, VHOST_SET_MEM_TABLE, &table.mem, idx, why, why_len);
	if (ret)
		return ret;

	state.num = a.num;
	ret = VHOST_DO(fd, VHOST_SET_VRING_NUM, &state, idx, why, why_len);
	if (ret)
		return ret;
	state.num = 0;
	ret = VHOST_DO(fd, VHOST_SET_VRING_BASE, &state, idx, why, why_len);
	if (ret)
		return ret;

	addr.desc_user_addr = a.desc_user_addr;
	addr.avail_user_addr = a.avail_user_addr;
	addr.used_user_addr = a.used_user_addr;
	ret = VHOST_DO(fd, VHOST_SET_VRING_ADDR, &addr, idx, why, why_len);
	if (ret)
		return ret;

	file.fd = vqchar_queue_kick_fd(q);
	ret = VHOST_DO(fd, VHOST_SET_VRING_KICK, &file, idx, why, why_len);
	if (ret)
		return ret;
	file.fd = vqchar_queue_call_fd(q);
	ret = VHOST_DO(fd, VHOST_SET_VRING_CALL, &file, idx, why, why_len);
	if (ret)
		return ret;
	/* vhost reports bad descriptors here; vqnet_wait() returns -EIO. */
	file.fd = vqchar_queue_err_fd(q);
	ret = VHOST_DO(fd, VHOST_SET_VRING_ERR, &file, idx, why, why_len);
	if (ret)
		return ret;

	file.fd = n->tap_fd;
	return VHOST_DO(fd, VHOST_NET_SET_BACKEND, &file, idx, why, why_len);
}

static int vqnet_queue_create(struct vqnet *n, unsigned int idx, const struct vqnet_config *cfg,
			      uint32_t num, uint64_t features, int dev_fd, char *why,
			      size_t why_len)
{
	struct vqchar_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.backend = cfg->backend;
	p.num = num;
	/* One buffer per chain: header + a full frame fit in one. */
	p.buf_count = num;
	p.buf_size = VQNET_BUF_SIZE;
	p.features = features;
	if (cfg->backend == VQCHAR_BACKEND_KERNEL) {
		p.device = VQCHAR_DEV_EXTERNAL;
		p.dev_fd = dev_fd;
		p.flags = VQCHAR_PARAMS_DEV_FD;
	}
	ret = vqchar_queue_create(&p, &n->q[idx]);
	if (ret)
		vqnet_why(why, why_len, "creating the %s queue (%s backend): %s",
			  idx == VQNET_RX ? "RX" : "TX",
			  cfg->backend == VQCHAR_BACKEND_KERNEL ? "kernel" : "anonymous",
			  strerror(-ret));
	return ret;
}

int vqnet_open(const struct vqnet_config *cfg, struct vqnet **np, char *why, size_t why_len)
{
	uint32_t num = cfg->num ? cfg->num : VQNET_DEFAULT_NUM;
	uint64_t offered = 0, features;
	struct vqnet *n;
	int dev_fd = -1, ret;
	unsigned int i;

	vqnet_why(why, why_len, "no error");
	if (cfg->backend != VQCHAR_BACKEND_ANON && cfg->backend != VQCHAR_BACKEND_KERNEL) {
		vqnet_why(why, why_len, "unknown backend %u", cfg->backend);
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		vqnet_why(why, why_len, "out of memory");
		return -ENOMEM;
	}
	n->tap_fd = -1;
	n->vhost_fd[0] = n->vhost_fd[1] = -1;

	ret = vqnet_tap_open(n, cfg->ifname ? cfg->ifname : "vqtap%d", why, why_len);
	if (ret)
		goto fail;

	for (i = 0; i < 2; i++) {
		ret = vqnet_vhost_open(i, &offered, why, why_len);
		if (ret < 0)
			goto fail;
		n->vhost_fd[i] = ret;
	}
	if (!(offered & (1ULL << VIRTIO_F_VERSION_1))) {
		vqnet_why(why, why_len, "vhost-net does not offer VIRTIO_F_VERSION_1");
		ret = -EOPNOTSUPP;
		goto fail;
	}
	/* The ring features are the virtio bits: keep what vhost offers. */
	features = cfg->features & VQCHAR_F_ALL & offered;
	n->vhost_features = (1ULL << VIRTIO_F_VERSION_1) | features;

	if (cfg->backend == VQCHAR_BACKEND_KERNEL) {
		dev_fd = open("/dev/vqchar", O_RDWR | O_CLOEXEC);
		if (dev_fd < 0) {
			ret = -errno;
			vqnet_why(why, why_len, "cannot open /dev/vqchar: %s%s", strerror(-ret),
				  ret == -ENOENT ? " (is the vqchar module loaded?)" : "");
			goto fail;
		}
	}
	for (i = 0; i < 2; i++) {
		ret = vqnet_queue_create(n, i, cfg, num, features, dev_fd, why, why_len);
		if (ret)
			goto fail;
	}
	for (i = 0; i < 2; i++) {
		ret = vqnet_vhost_setup(n, i, why, why_len);
		if (ret)
			goto fail;
	}
	if (dev_fd >= 0)
		close(dev_fd);
	*np = n;
	return 0;
fail:
	if (dev_fd >= 0)
		close(dev_fd);
	vqnet_close(n);
	return ret;
}

void vqnet_close(struct vqnet *n)
{
	unsigned int i;

	if (!n)
		return;
	/* vhost first: it must stop touching the rings before they go. */
	for (i = 0; i < 2; i++)
		if (n->vhost_fd[i] >= 0)
			close(n->vhost_fd[i]);
	if (n->tap_fd >= 0)
		close(n->tap_fd);
	for (i = 0; i < 2; i++)
		vqchar_queue_close(n->q[i]);
	free(n);
}

uint64_t vqnet_features(const struct vqnet *n)
{
	return vqchar_queue_features(n->q[VQNET_TX]);
}

int vqnet_tx_complete(struct vqnet *n)
{
	struct vqchar_used used[VQNET_TAKE_BATCH];
	struct vqchar_queue *q = n->q[VQNET_TX];
	int total = 0, got, i;

	do {
		got = vqchar_take_batch(q, used, VQNET_TAKE_BATCH);
		if (got < 0)
			return got;
		for (i = 0; i < got; i++) {
			int ret = vqchar_free(q, used[i].head);

			if (ret)
				return ret;
		}
		n->tx_inflight -= (uint32_t)got;
		total += got;
	} while (got == VQNET_TAKE_BATCH);
	return total;
}

int vqnet_tx_send(struct vqnet *n, const struct iovec *frames, unsigned int nr)
{
	struct vqchar_queue *q = n->q[VQNET_TX];
	unsigned int done = 0;
	int ret;

	ret = vqnet_tx_complete(n);
	if (ret < 0)
		return ret;
	ret = 0;
	while (done < nr) {
		struct vqchar_buf_seg seg;
		size_t len = frames[done].iov_len;
		void *data;
		int b;

		if (!len || len > VQNET_MAX_FRAME) {
			ret = -EMSGSIZE;
			break;
		}
		b = vqchar_buf_get(q, &data);
		if (b < 0) {
			ret = b;
			break;
		}
		memset(data, 0, VQNET_HDR_LEN);
		memcpy((uint8_t *)data + VQNET_HDR_LEN, frames[done].iov_base, len);
		seg.buf = (uint32_t)b;
		seg.len = (uint32_t)(VQNET_HDR_LEN + len);
		ret = vqchar_offer_bufs(q, &seg, 1, 0, VQCHAR_OFFER_NO_KICK);
		if (ret < 0) {
			vqchar_buf_put(q, (unsigned int)b);
			break;
		}
		done++;
	}
	if (done) {
		n->tx_inflight += done;
		vqchar_kick(q);
		return (int)done;
	}
	return ret == -ENOSPC ? 0 : ret;
}

int vqnet_rx_fill(struct vqnet *n)
{
	struct vqchar_queue *q = n->q[VQNET_RX];
	int added = 0, ret;

	for (;;) {
		ret = vqchar_offer(q, NULL, 0, 1, VQCHAR_OFFER_NO_KICK);
		if (ret < 0)
			break;
		added++;
	}
	if (added) {
		n->rx_posted += (uint32_t)added;
		vqchar_kick(q);
	}
	if (ret != -ENOSPC && !added)
		return ret;
	return added;
}

int vqnet_rx_take(struct vqnet *n, struct vqnet_frame *f)
{
	struct vqchar_queue *q = n->q[VQNET_RX];
	struct iovec iov;
	uint32_t len;
	int head, ret;

	head = vqchar_take(q, &len);
	if (head == -EAGAIN)
		return 0;
	if (head < 0)
		return head;
	n->rx_posted--;
	ret = vqchar_chain_in(q, (unsigned int)head, &iov, 1);
	if (ret != 1 || len < VQNET_HDR_LEN || iov.iov_len != len) {
		vqchar_free(q, (unsigned int)head);
		return ret < 0 ? ret : -EPROTO;
	}
	f->head = (unsigned int)head;
	f->hdr = iov.iov_base;
	f->data = f->hdr + VQNET_HDR_LEN;
	f->len = len - VQNET_HDR_LEN;
	return 1;
}

int vqnet_rx_release(struct vqnet *n, const struct vqnet_frame *f)
{
	return vqchar_free(n->q[VQNET_RX], f->head);
}

static void vqnet_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: already drained. */
	}
}

int vqnet_wait(struct vqnet *n, unsigned int want, int fd, int timeout_ms)
{
	struct pollfd p[5];
	unsigned int ready = 0, i, np = 0, qi[2], nq = 0;
	int ret;

	for (i = 0; i < 2; i++) {
		unsigned int bit = i == VQNET_RX ? VQNET_READY_RX : VQNET_READY_TX;

		if (!(want & bit))
			continue;
		ret = vqchar_enable_calls(n->q[i]);
		if (ret < 0)
			return ret;
		if (ret > 0)
			ready |= bit;
		qi[nq++] = i;
	}
	if (ready)
		return (int)ready;

	for (i = 0; i < nq; i++) {
		p[np++] = (struct pollfd){ .fd = vqchar_queue_call_fd(n->q[qi[i]]), .events = POLLIN };
		p[np++] = (struct pollfd){ .fd = vqchar_queue_err_fd(n->q[qi[i]]), .events = POLLIN };
	}
	if (fd >= 0)
		p[np++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	ret = poll(p, np, timeout_ms);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < nq; i++) {
		unsigned int bit = qi[i] == VQNET_RX ? VQNET_READY_RX : VQNET_READY_TX;

		if (p[2 * i + 1].revents & POLLIN)
			return -EIO;
		if (p[2 * i].revents & POLLIN)
			vqnet_drain(p[2 * i].fd);
		if (vqchar_used_pending(n->q[qi[i]]))
			ready |= bit;
	}
	if (fd >= 0 && (p[np - 1].revents & (POLLIN | POLLERR | POLLHUP)))
		ready |= VQNET_READY_FD;
	return (int)ready;
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
