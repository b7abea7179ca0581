/* SPDX-License-Identifier: MIT */
/*
 * libvqchar net, setup and teardown: the tun/tap queues, the libvqchar
 * queues and one vhost-net instance per queue pair (see vqchar_net.h).
 *
 * The vhost-net sequence follows tools/virtio/vhost_net_test.c and
 * drivers/vhost/net.c: VHOST_SET_OWNER, VHOST_GET_FEATURES /
 * VHOST_SET_FEATURES, VHOST_SET_MEM_TABLE (one region per pool, at the
 * pool's I/O base), then per virtqueue VHOST_SET_VRING_NUM / _BASE /
 * _ADDR / _KICK / _CALL / _ERR, and last VHOST_NET_SET_BACKEND, which
 * checks the ring addresses and starts the queue.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/socket.h>

#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "syscall.h"
#include "net_int.h"

_Static_assert(sizeof(struct vqchar_net_hdr) == VQCHAR_NET_HDR_LEN,
	       "struct vqchar_net_hdr is virtio_net_hdr_v1");
_Static_assert(sizeof(struct virtio_net_hdr_mrg_rxbuf) == VQCHAR_NET_HDR_LEN,
	       "vhost-net's header with MRG_RXBUF or VERSION_1 is 12 bytes");

#define VQNET_TUN_PATH		"/dev/net/tun"
#define VQNET_VHOST_PATH	"/dev/vhost-net"

/* Linux 6.2 added these; the build headers may be older. */
#ifndef TUN_F_USO4
#define TUN_F_USO4		0x20
#define TUN_F_USO6		0x40
#endif

/*
 * The pools' I/O addresses in the pair's memory table: RX from 0, TX
 * from 1 TiB, far beyond any pool (the kernel caps one at 64 MiB by
 * default and the library at what fits in memory).
 */
#define VQNET_RX_IO_BASE	0ULL
#define VQNET_TX_IO_BASE	(1ULL << 40)

#define VQNET_PARAM_FLAGS	(VQCHAR_NET_TAP | VQCHAR_NET_ADOPT | VQCHAR_NET_UP | \
				 VQCHAR_NET_BEST_EFFORT | VQCHAR_NET_DEV_FD)

static int vqnet_open_node(const char *path, int missing)
{
	int fd = __sys_open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);

	/* A missing node or a node without its driver: the module is absent. */
	if (fd == -ENOENT || fd == -ENXIO || fd == -ENODEV)
		return missing;
	return fd;
}

/* Any socket takes the interface ioctls used here. */
static int vqnet_ctl_socket(void)
{
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	return s < 0 ? -errno : s;
}

static int vqnet_ifreq(unsigned long cmd, struct ifreq *ifr)
{
	int s = vqnet_ctl_socket(), ret;

	if (s < 0)
		return s;
	ret = __sys_ioctl(s, cmd, ifr);
	__sys_close(s);
	return ret < 0 ? ret : 0;
}

/* Create (or attach to) queue @i of the interface and return its fd. */
static int vqnet_tun_create(struct vqchar_net *n, const struct vqchar_net_params *p,
			    unsigned int i)
{
	struct ifreq ifr;
	int fd, ret;

	fd = vqnet_open_node(VQNET_TUN_PATH, -ENODEV);
	if (fd < 0)
		return fd;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)(((p->flags & VQCHAR_NET_TAP) ? IFF_TAP : IFF_TUN) |
				IFF_NO_PI | IFF_VNET_HDR | (n->npairs > 1 ? IFF_MULTI_QUEUE : 0));
	/* The first queue resolves a pattern; the others attach by name. */
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s",
		 i ? n->ifname : (p->ifname ? p->ifname : "vqnet%d"));
	ret = __sys_ioctl(fd, TUNSETIFF, &ifr);
	if (ret < 0) {
		__sys_close(fd);
		/* An existing interface of another kind or flags. */
		return ret == -EINVAL && i == 0 && p->ifname && !strchr(p->ifname, '%') ?
			-EBUSY : ret;
	}
	if (!i)
		memcpy(n->ifname, ifr.ifr_name, sizeof(n->ifname) - 1);
	return fd;
}

/* Check and duplicate an adopted tun queue. */
static int vqnet_tun_adopt(struct vqchar_net *n, const struct vqchar_net_params *p,
			   unsigned int i)
{
	unsigned int want_type = (p->flags & VQCHAR_NET_TAP) ? IFF_TAP : IFF_TUN;
	struct ifreq ifr;
	int fd, ret;

	if (p->tun_fds[i] < 0)
		return -EBADF;
	memset(&ifr, 0, sizeof(ifr));
	ret = __sys_ioctl(p->tun_fds[i], TUNGETIFF, &ifr);
	if (ret < 0)
		return -EBADF;	/* not tun, or tun without TUNSETIFF */
	if (((unsigned int)ifr.ifr_flags & (IFF_TUN | IFF_TAP)) != want_type)
		return -EINVAL;
	if (!(ifr.ifr_flags & IFF_VNET_HDR) || !(ifr.ifr_flags & IFF_NO_PI) ||
	    (n->npairs > 1 && !(ifr.ifr_flags & IFF_MULTI_QUEUE)))
		return -EOPNOTSUPP;
	if (i && strncmp(ifr.ifr_name, n->ifname, sizeof(n->ifname)))
		return -EINVAL;	/* queues of different interfaces */
	if (!i)
		memcpy(n->ifname, ifr.ifr_name, sizeof(n->ifname) - 1);
	fd = __sys_dup_cloexec(p->tun_fds[i]);
	return fd;
}

/*
 * What the tun takes from the header, probed as QEMU's tap_probe_has_*()
 * do: TUNSETOFFLOAD refuses unknown bits with EINVAL.  USO (Linux 6.2)
 * came with UDP_L4 in the header, so it stands for both directions.
 */
static int vqnet_tun_offered(int fd, uint64_t *offered)
{
	unsigned int base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	int ret;

	*offered = VQCHAR_NET_F_CSUM | VQCHAR_NET_F_GUEST_CSUM;
	ret = __sys_ioctl(fd, TUNSETOFFLOAD, (void *)(uintptr_t)(base | TUN_F_USO4 | TUN_F_USO6));
	if (!ret) {
		*offered |= VQCHAR_NET_F_GUEST_USO4 | VQCHAR_NET_F_GUEST_USO6 |
			    VQCHAR_NET_F_HOST_USO;
	} else if (ret == -EINVAL) {
		ret = __sys_ioctl(fd, TUNSETOFFLOAD, (void *)(uintptr_t)base);
	}
	if (ret < 0)
		return ret;
	*offered |= VQCHAR_NET_F_GUEST_TSO4 | VQCHAR_NET_F_GUEST_TSO6 |
		    VQCHAR_NET_F_HOST_TSO4 | VQCHAR_NET_F_HOST_TSO6;
	return 0;
}

/* The tun offloads for the receive (GUEST_*) features negotiated. */
static unsigned long vqnet_tun_offload_bits(uint64_t f)
{
	unsigned long bits = 0;

	if (!(f & VQCHAR_NET_F_GUEST_CSUM))
		return 0;
	bits |= TUN_F_CSUM;
	if (f & VQCHAR_NET_F_GUEST_TSO4)
		bits |= TUN_F_TSO4;
	if (f & VQCHAR_NET_F_GUEST_TSO6)
		bits |= TUN_F_TSO6;
	if (f & VQCHAR_NET_F_GUEST_USO4)
		bits |= TUN_F_USO4 | TUN_F_USO6;
	return bits;
}

static int vqnet_tun_setup(struct vqchar_net *n, int fd)
{
	int hdr = VQCHAR_NET_HDR_LEN, le = 1, ret;

	ret = __sys_ioctl(fd, TUNSETVNETHDRSZ, &hdr);
	if (ret < 0)
		return ret;
	/*
	 * vhost-net batches transmits as XDP buffers when the socket's send
	 * buffer is unlimited (sk_sndbuf == INT_MAX, the tun default), and
	 * tun_xdp_one() then parses every packet as Ethernet: IP packets of
	 * an IFF_TUN device are dropped.  One byte less takes the ordinary
	 * tun_get_user() path, which knows IFF_TUN.
	 */
	if (!n->tap) {
		int sndbuf = INT_MAX - 1;

		ret = __sys_ioctl(fd, TUNSETSNDBUF, &sndbuf);
		if (ret < 0)
			return ret;
	}
	/* Only matters on big-endian hosts; refused where unsupported. */
	(void)__sys_ioctl(fd, TUNSETVNETLE, &le);
	ret = __sys_ioctl(fd, TUNSETOFFLOAD,
			  (void *)(uintptr_t)vqnet_tun_offload_bits(n->features));
	return ret < 0 ? ret : 0;
}

/* Check the requested features against the virtio-net rules. */
static bool vqnet_features_valid(uint64_t f)
{
	if (f & ~VQCHAR_NET_F_ALL)
		return false;
	if ((f & (VQCHAR_NET_F_HOST_TSO4 | VQCHAR_NET_F_HOST_TSO6 | VQCHAR_NET_F_HOST_USO)) &&
	    !(f & VQCHAR_NET_F_CSUM))
		return false;
	if ((f & (VQCHAR_NET_F_GUEST_TSO4 | VQCHAR_NET_F_GUEST_TSO6 | VQCHAR_NET_F_GUEST_USO4 |
		  VQCHAR_NET_F_GUEST_USO6)) && !(f & VQCHAR_NET_F_GUEST_CSUM))
		return false;
	/* The tun enables UDP GSO for both families or neither. */
	return !(f & VQCHAR_NET_F_GUEST_USO4) == !(f & VQCHAR_NET_F_GUEST_USO6);
}

static bool vqnet_buf_size_valid(uint32_t s)
{
	return s >= 64 && s <= 65536 && !(s % 16);
}

static bool vqnet_params_valid(const struct vqchar_net_params *p)
{
	unsigned int i;

	if (p->flags & ~VQNET_PARAM_FLAGS)
		return false;
	for (i = 0; i < sizeof(p->reserved) / sizeof(p->reserved[0]); i++)
		if (p->reserved[i])
			return false;
	if (p->backend != VQCHAR_BACKEND_ANON && p->backend != VQCHAR_BACKEND_KERNEL)
		return false;
	if ((p->flags & VQCHAR_NET_DEV_FD) && p->backend != VQCHAR_BACKEND_KERNEL)
		return false;
	if ((p->flags & VQCHAR_NET_ADOPT) && !p->tun_fds)
		return false;
	if (p->pairs > VQCHAR_NET_MAX_PAIRS)
		return false;
	if (p->num && (p->num < 2 || p->num > VQCHAR_MAX_RING_SIZE || (p->num & (p->num - 1))))
		return false;
	if ((p->rx_buf_size && !vqnet_buf_size_valid(p->rx_buf_size)) ||
	    (p->tx_buf_size && !vqnet_buf_size_valid(p->tx_buf_size)))
		return false;
	return vqnet_features_valid(p->features);
}

/* Open a vhost-net instance, become its owner, negotiate.  Returns the fd. */
static int vqnet_vhost_open(struct vqchar_net *n, uint64_t ring_features)
{
	uint64_t offered = 0, acked;
	int fd, ret;

	fd = vqnet_open_node(VQNET_VHOST_PATH, -ENOENT);
	if (fd < 0)
		return fd;
	ret = __sys_ioctl(fd, VHOST_SET_OWNER, NULL);
	if (ret >= 0)
		ret = __sys_ioctl(fd, VHOST_GET_FEATURES, &offered);
	if (ret < 0)
		goto fail;
	ret = -EOPNOTSUPP;
	if (!(offered & (1ULL << VIRTIO_F_VERSION_1)) ||
	    !(offered & (1ULL << VIRTIO_NET_F_MRG_RXBUF)) ||
	    (ring_features & ~offered))
		goto fail;
	acked = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) | ring_features;
	ret = __sys_ioctl(fd, VHOST_SET_FEATURES, &acked);
	if (ret < 0)
		goto fail;
	(void)n;
	return fd;
fail:
	__sys_close(fd);
	return ret;
}

static int vqnet_vring_setup(int vfd, unsigned int idx, struct vqchar_queue *q, int tun_fd)
{
	struct vqchar_ring_addrs a;
	struct vhost_vring_state state = { .index = idx };
	struct vhost_vring_addr addr = { .index = idx };
	struct vhost_vring_file file = { .index = idx };
	int ret;

	vqchar_queue_ring_addrs(q, &a);
	state.num = a.num;
	ret = __sys_ioctl(vfd, VHOST_SET_VRING_NUM, &state);
	if (ret < 0)
		return ret;
	state.num = 0;
	ret = __sys_ioctl(vfd, VHOST_SET_VRING_BASE, &state);
	if (ret < 0)
		return ret;
	addr.desc_user_addr = a.desc_user_addr;
	addr.avail_user_addr = a.avail_user_addr;
	addr.used_user_addr = a.used_user_addr;
	ret = __sys_ioctl(vfd, VHOST_SET_VRING_ADDR, &addr);
	if (ret < 0)
		return ret;
	file.fd = vqchar_queue_kick_fd(q);
	ret = __sys_ioctl(vfd, VHOST_SET_VRING_KICK, &file);
	if (ret < 0)
		return ret;
	file.fd = vqchar_queue_call_fd(q);
	ret = __sys_ioctl(vfd, VHOST_SET_VRING_CALL, &file);
	if (ret < 0)
		return ret;
	/* vhost reports bad descriptors here; the waits return -EIO. */
	file.fd = vqchar_queue_err_fd(q);
	ret = __sys_ioctl(vfd, VHOST_SET_VRING_ERR, &file);
	if (ret < 0)
		return ret;
	file.fd = tun_fd;
	ret = __sys_ioctl(vfd, VHOST_NET_SET_BACKEND, &file);
	return ret < 0 ? ret : 0;
}

/* One memory table for both pools of the pair, at their I/O bases. */
static int vqnet_mem_table(struct vqchar_net_pair *pp)
{
	struct {
		struct vhost_memory mem;
		struct vhost_memory_region region[2];
	} t;
	struct vqchar_queue *qs[2] = { pp->rxq, pp->txq };
	unsigned int i;
	int ret;

	memset(&t, 0, sizeof(t));
	t.mem.nregions = 2;
	for (i = 0; i < 2; i++) {
		t.region[i].guest_phys_addr = vqchar_queue_io_base(qs[i]);
		t.region[i].memory_size = vqchar_queue_pool_size(qs[i]);
		t.region[i].userspace_addr = (uintptr_t)vqchar_queue_pool(qs[i]);
	}
	ret = __sys_ioctl(pp->vhost_fd, VHOST_SET_MEM_TABLE, &t.mem);
	return ret < 0 ? ret : 0;
}

static int vqnet_queue_create(struct vqchar_net *n, int dev_fd, uint32_t bufs,
			      uint32_t buf_size, uint64_t io_base, struct vqchar_queue **qp)
{
	struct vqchar_params qp_params;

	memset(&qp_params, 0, sizeof(qp_params));
	/*
	 * A queue is only ever driven by its side's caller, one at a time
	 * (the thread rules in vqchar_net.h), and vhost-net is no vqchar
	 * device: single issuer, so offers, takes and frees take no lock.
	 */
	qp_params.flags = VQCHAR_PARAMS_SINGLE_ISSUER;
	qp_params.backend = n->backend;
	qp_params.num = n->num;
	qp_params.buf_count = bufs;
	qp_params.buf_size = buf_size;
	qp_params.features = n->features & VQCHAR_F_ALL;
	qp_params.io_base = io_base;
	if (n->backend == VQCHAR_BACKEND_KERNEL) {
		qp_params.device = VQCHAR_DEV_EXTERNAL;
		qp_params.dev_fd = dev_fd;
		qp_params.flags |= VQCHAR_PARAMS_DEV_FD;
	}
	return vqchar_queue_create(&qp_params, qp);
}

static int vqnet_pair_setup(struct vqchar_net *n, unsigned int i, int dev_fd)
{
	struct vqchar_net_pair *pp = &n->pair[i];
	uint32_t b;
	int ret;

	ret = vqnet_tun_setup(n, pp->tun_fd);
	if (ret)
		return ret;
	ret = vqnet_queue_create(n, dev_fd, n->num, n->rx_buf_size, VQNET_RX_IO_BASE, &pp->rxq);
	if (ret)
		return ret;
	ret = vqnet_queue_create(n, dev_fd, 2 * n->num, n->tx_buf_size, VQNET_TX_IO_BASE,
				 &pp->txq);
	if (ret)
		return ret;
	pp->tx_segs = calloc((vqnet_max_packet(n) + VQCHAR_NET_HDR_LEN) / n->tx_buf_size + 1,
			     sizeof(*pp->tx_segs));
	pp->rx_fifo = calloc(n->num, sizeof(*pp->rx_fifo));
	pp->rx_head_of_buf = malloc(n->num * sizeof(*pp->rx_head_of_buf));
	if (!pp->tx_segs || !pp->rx_fifo || !pp->rx_head_of_buf)
		return -ENOMEM;
	for (b = 0; b < n->num; b++)
		pp->rx_head_of_buf[b] = VQNET_NO_HEAD;
	pp->rx_pool = vqchar_queue_pool(pp->rxq);

	ret = vqnet_vhost_open(n, n->features & VQCHAR_F_ALL);
	if (ret < 0)
		return ret;
	pp->vhost_fd = ret;
	ret = vqnet_mem_table(pp);
	if (ret)
		return ret;
	/* Calls only when a wait asks for them (vqchar_net_arm()). */
	vqchar_disable_calls(pp->rxq);
	vqchar_disable_calls(pp->txq);
	/* A full receive ring before the tun is attached: nothing is dropped. */
	ret = __vqnet_rx_refill(pp, n->num);
	if (ret < 0)
		return ret;
	ret = vqnet_vring_setup(pp->vhost_fd, 0, pp->rxq, pp->tun_fd);
	if (ret)
		return ret;
	return vqnet_vring_setup(pp->vhost_fd, 1, pp->txq, pp->tun_fd);
}

static int vqnet_set_up(struct vqchar_net *n)
{
	struct ifreq ifr;
	int ret;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, n->ifname, sizeof(ifr.ifr_name));
	ret = vqnet_ifreq(SIOCGIFFLAGS, &ifr);
	if (ret || (ifr.ifr_flags & IFF_UP))
		return ret;
	ifr.ifr_flags |= IFF_UP;
	return vqnet_ifreq(SIOCSIFFLAGS, &ifr);
}

int vqchar_net_open(const struct vqchar_net_params *p, struct vqchar_net **np)
{
	struct vqchar_net *n;
	struct ifreq ifr;
	uint64_t offered;
	int dev_fd = -1, ret;
	unsigned int i, pairs;

	if (!p || !np || !vqnet_params_valid(p))
		return -EINVAL;
	pairs = p->pairs ? p->pairs : 1;
	n = calloc(1, sizeof(*n) + pairs * sizeof(n->pair[0]));
	if (!n)
		return -ENOMEM;
	n->npairs = pairs;
	n->backend = p->backend;
	n->tap = !!(p->flags & VQCHAR_NET_TAP);
	n->num = p->num ? p->num : VQCHAR_NET_DEFAULT_NUM;
	n->rx_buf_size = p->rx_buf_size ? p->rx_buf_size : VQCHAR_NET_DEFAULT_BUF;
	n->tx_buf_size = p->tx_buf_size ? p->tx_buf_size : VQCHAR_NET_DEFAULT_BUF;
	for (i = 0; i < pairs; i++)
		n->pair[i].tun_fd = n->pair[i].vhost_fd = -1;

	/* vhost-net first: without it nothing else matters. */
	ret = vqnet_open_node(VQNET_VHOST_PATH, -ENOENT);
	if (ret < 0)
		goto fail;
	__sys_close(ret);

	for (i = 0; i < pairs; i++) {
		ret = (p->flags & VQCHAR_NET_ADOPT) ? vqnet_tun_adopt(n, p, i) :
						       vqnet_tun_create(n, p, i);
		if (ret < 0)
			goto fail;
		n->pair[i].tun_fd = ret;
	}
	ret = vqnet_tun_offered(n->pair[0].tun_fd, &offered);
	if (ret)
		goto fail;
	offered |= VQCHAR_NET_F_MRG_RXBUF | VQCHAR_F_ALL;	/* checked with vhost below */
	n->features = p->features & offered;
	if (n->features != p->features && !(p->flags & VQCHAR_NET_BEST_EFFORT)) {
		ret = -EOPNOTSUPP;
		goto fail;
	}
	/* Dropping an unoffered bit may have broken a dependency: drop its dependents. */
	if (!(n->features & VQCHAR_NET_F_CSUM))
		n->features &= ~(VQCHAR_NET_F_HOST_TSO4 | VQCHAR_NET_F_HOST_TSO6 |
				 VQCHAR_NET_F_HOST_USO);
	if (!(n->features & VQCHAR_NET_F_GUEST_CSUM))
		n->features &= ~(VQCHAR_NET_F_GUEST_TSO4 | VQCHAR_NET_F_GUEST_TSO6 |
				 VQCHAR_NET_F_GUEST_USO4 | VQCHAR_NET_F_GUEST_USO6);
	n->features |= VQCHAR_NET_F_MRG_RXBUF;

	if (p->backend == VQCHAR_BACKEND_KERNEL) {
		dev_fd = (p->flags & VQCHAR_NET_DEV_FD) ? __sys_dup_cloexec(p->dev_fd) :
							 __sys_open("/dev/vqchar", O_RDWR | O_CLOEXEC);
		if (dev_fd < 0) {
			ret = dev_fd;
			goto fail;
		}
	}
	for (i = 0; i < pairs; i++) {
		ret = vqnet_pair_setup(n, i, dev_fd);
		if (ret)
			goto fail;
	}
	if (dev_fd >= 0)
		__sys_close(dev_fd);
	dev_fd = -1;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, n->ifname, sizeof(ifr.ifr_name));
	ret = vqnet_ifreq(SIOCGIFINDEX, &ifr);
	if (ret)
		goto fail;
	n->ifindex = ifr.ifr_ifindex;
	if (p->flags & VQCHAR_NET_UP) {
		ret = vqnet_set_up(n);
		if (ret)
			goto fail;
	}
	*np = n;
	return 0;
fail:
	if (dev_fd >= 0)
		__sys_close(dev_fd);
	vqchar_net_close(n);
	return ret;
}

int vqchar_net_close(struct vqchar_net *n)
{
	int ret = 0, err;
	unsigned int i;

	if (!n)
		return 0;
	for (i = 0; i < n->npairs; i++) {
		struct vqchar_net_pair *pp = &n->pair[i];

		/* vhost first: it must stop touching the rings before they go. */
		if (pp->vhost_fd >= 0) {
			err = __sys_close(pp->vhost_fd);
			ret = ret ? ret : err;
		}
		if (pp->tun_fd >= 0) {
			err = __sys_close(pp->tun_fd);
			ret = ret ? ret : err;
		}
		err = vqchar_queue_close(pp->rxq);
		ret = ret ? ret : err;
		err = vqchar_queue_close(pp->txq);
		ret = ret ? ret : err;
		free(pp->tx_segs);
		free(pp->rx_fifo);
		free(pp->rx_head_of_buf);
	}
	free(n);
	return ret;
}

/* ---- accessors ---- */

uint64_t vqchar_net_features(const struct vqchar_net *n)
{
	return n->features;
}

unsigned int vqchar_net_pairs(const struct vqchar_net *n)
{
	return n->npairs;
}

const char *vqchar_net_ifname(const struct vqchar_net *n)
{
	return n->ifname;
}

int vqchar_net_ifindex(const struct vqchar_net *n)
{
	return n->ifindex;
}

int vqchar_net_tun_fd(const struct vqchar_net *n, unsigned int pair)
{
	return pair < n->npairs ? n->pair[pair].tun_fd : -EINVAL;
}

int vqchar_net_vhost_fd(const struct vqchar_net *n, unsigned int pair)
{
	return pair < n->npairs ? n->pair[pair].vhost_fd : -EINVAL;
}

struct vqchar_queue *vqchar_net_queue(const struct vqchar_net *n, unsigned int pair,
				      unsigned int which)
{
	if (pair >= n->npairs)
		return NULL;
	if (which == VQCHAR_NET_RX)
		return n->pair[pair].rxq;
	if (which == VQCHAR_NET_TX)
		return n->pair[pair].txq;
	return NULL;
}

uint32_t vqchar_net_max_packet(const struct vqchar_net *n)
{
	return vqnet_max_packet(n);
}

unsigned int vqchar_net_rx_max_segs(const struct vqchar_net *n)
{
	return n->num;
}
