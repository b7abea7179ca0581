/* SPDX-License-Identifier: MIT */
/*
 * vqnet: two libvqchar queues driven by the kernel's vhost-net, with a tap
 * device as the network end.
 *
 * The program is the virtio-net driver: it offers frames on the TX queue
 * (virtio-net queue index 1) and receive buffers on the RX queue (index 0);
 * vhost-net is the device and moves frames between the rings and the tap.
 * Every frame in a ring starts with a 12-byte struct virtio_net_hdr_v1
 * (VIRTIO_F_VERSION_1 is always negotiated).  What the TX queue sends
 * enters the kernel's network stack as received on the tap; what the
 * stack sends out of the tap lands in the RX queue's buffers.
 *
 * Typical use:
 *
 *	struct vqnet_config cfg = { .backend = VQCHAR_BACKEND_ANON, .num = 256 };
 *	struct vqnet *n;
 *	char why[160];
 *
 *	if (vqnet_open(&cfg, &n, why, sizeof(why)) < 0)
 *		errx(1, "%s", why);
 *	vqnet_rx_fill(n);			// hand receive buffers to vhost
 *	vqnet_tx_send(n, &frame, 1);		// frame goes into the tap
 *	vqnet_wait(n, VQNET_READY_RX, -1, 1000);
 *	while (vqnet_rx_take(n, &f) == 1) {	// frames the tap sent out
 *		use(f.data, f.len);
 *		vqnet_rx_release(n, &f);
 *	}
 *	vqnet_close(n);
 *
 * Why two vhost-net instances: descriptor addresses of a libvqchar queue
 * are offsets into that queue's own pool, so both pools start at I/O
 * address 0 and a single vhost memory table cannot describe both (its
 * regions may not overlap, and libvqchar has no per-queue I/O base).  A
 * vhost-net instance attaches a backend per virtqueue index
 * (VHOST_NET_SET_BACKEND takes the index), so vqnet opens one instance
 * per queue: instance RX sets up only vq 0, instance TX only vq 1, each
 * with a one-region memory table mapping I/O address 0 to its own pool,
 * and both use the same tap.  The vq left without a backend is never run
 * by vhost.  This also lets each ring negotiate its own ring features.
 *
 * Not thread-safe: one thread drives a struct vqnet.
 */
#ifndef VQNET_VHOST_NET_H
#define VQNET_VHOST_NET_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <vqchar.h>

#define VQNET_RX		0	/* virtio-net receiveq1 */
#define VQNET_TX		1	/* virtio-net transmitq1 */
#define VQNET_HDR_LEN		12	/* struct virtio_net_hdr_v1 */
#define VQNET_BUF_SIZE		2048	/* one pool buffer: header + frame */
#define VQNET_MAX_FRAME		(VQNET_BUF_SIZE - VQNET_HDR_LEN)

/**
 * struct vqnet_config - what vqnet_open() builds
 * @backend: VQCHAR_BACKEND_ANON, or VQCHAR_BACKEND_KERNEL (the queues are
 *	/dev/vqchar queues with device VQCHAR_DEV_EXTERNAL: vhost plays it)
 * @num: ring size of each queue; 0 means 256
 * @features: VQCHAR_F_* wanted on both rings; those vhost-net does not
 *	offer are dropped (see vqnet_features())
 * @ifname: tap name or pattern; NULL means "vqtap%d"
 */
struct vqnet_config {
	uint32_t backend;
	uint32_t num;
	uint64_t features;
	const char *ifname;
};

/**
 * struct vqnet - the queues, the vhost-net instances and the tap
 * @q: the queues, [VQNET_RX] and [VQNET_TX]
 * @vhost_fd: the vhost-net instance driving each queue
 * @tap_fd: the tap, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, up
 * @ifname: the tap's name
 * @ifindex: the tap's interface index
 * @mac: the tap's MAC address (the stack's side of the link)
 * @vhost_features: the feature bits acked to both vhost-net instances
 * @rx_posted: receive chains currently with vhost
 * @tx_inflight: transmit chains currently with vhost
 */
struct vqnet {
	struct vqchar_queue *q[2];
	int vhost_fd[2];
	int tap_fd;
	char ifname[IFNAMSIZ];
	int ifindex;
	uint8_t mac[6];
	uint64_t vhost_features;
	uint32_t rx_posted;
	uint32_t tx_inflight;
};

/**
 * vqnet_probe() - can this machine run vqnet at all?
 * @missing: receives the path that is missing or not usable
 *
 * Return: 0, or -errno from opening /dev/vhost-net or /dev/net/tun.
 */
int vqnet_probe(const char **missing);

/**
 * vqnet_open() - create both queues, a tap and wire them to vhost-net
 * @cfg: what to build
 * @np: the result
 * @why: receives a one-line explanation on failure (may be NULL)
 * @why_len: bytes at @why
 *
 * Return: 0 or -errno; on failure nothing is left behind.
 */
int vqnet_open(const struct vqnet_config *cfg, struct vqnet **np, char *why, size_t why_len);

/* Stop vhost, close the tap and the queues.  @n may be NULL. */
void vqnet_close(struct vqnet *n);

/* The VQCHAR_F_* the rings were created with. */
uint64_t vqnet_features(const struct vqnet *n);

/**
 * vqnet_tx_send() - offer frames on the TX queue, one kick for all
 * @n: the vqnet
 * @frames: the Ethernet frames, without virtio-net header (one is added,
 *	all zero: no checksum offload, no GSO); each at most VQNET_MAX_FRAME
 * @nr: entries in @frames
 *
 * Frees TX chains vhost has finished with first, then copies the frames
 * straight into pool buffers (vqchar_buf_get()/vqchar_offer_bufs()).
 *
 * Return: frames offered (0 when the ring is full), or -errno.
 */
int vqnet_tx_send(struct vqnet *n, const struct iovec *frames, unsigned int nr);

/* Free the TX chains vhost has used.  Return: the number freed, or -errno. */
int vqnet_tx_complete(struct vqnet *n);

/*
 * Offer receive buffers (one VQNET_BUF_SIZE buffer per chain) until the
 * RX ring is full, then kick once.  Return: buffers added, or -errno.
 */
int vqnet_rx_fill(struct vqnet *n);

/**
 * struct vqnet_frame - a received frame, still in the RX queue's pool
 * @head: the chain, for vqnet_rx_release()
 * @hdr: the virtio-net header vhost/tap wrote (VQNET_HDR_LEN bytes)
 * @data: the Ethernet frame
 * @len: its length
 */
struct vqnet_frame {
	unsigned int head;
	const uint8_t *hdr;
	const uint8_t *data;
	uint32_t len;
};

/*
 * Take the next received frame.  Return: 1 with @f filled, 0 if none is
 * waiting, or -errno (-EPROTO for a used entry shorter than the header,
 * whose chain is released).  Release the frame when done with its data.
 */
int vqnet_rx_take(struct vqnet *n, struct vqnet_frame *f);
int vqnet_rx_release(struct vqnet *n, const struct vqnet_frame *f);

/* vqnet_wait() readiness bits. */
#define VQNET_READY_RX	(1U << 0)	/* received frames to take */
#define VQNET_READY_TX	(1U << 1)	/* TX chains to complete */
#define VQNET_READY_FD	(1U << 2)	/* @fd is readable */

/**
 * vqnet_wait() - sleep until the rings or a descriptor need attention
 * @n: the vqnet
 * @want: VQNET_READY_RX and/or VQNET_READY_TX
 * @fd: another descriptor to wait for (POLLIN), or -1
 * @timeout_ms: as poll()
 *
 * Enables calls on the wanted queues, re-checks them, then polls their
 * call eventfds, their err eventfds (vhost signals VHOST_SET_VRING_ERR
 * there) and @fd.
 *
 * Return: a mask of VQNET_READY_* (> 0), 0 on timeout, -EIO if vhost or
 * the queue reported an error, or -errno.
 */
int vqnet_wait(struct vqnet *n, unsigned int want, int fd, int timeout_ms);

/* ---- the stack's side of the tap, for tests and demos ---- */

/**
 * vqnet_tap_ipv4() - give the tap an IPv4 address and a static neighbour
 * @n: the vqnet
 * @local: the tap's address, network byte order
 * @prefix: prefix length of the tap's subnet
 * @peer: the address of "the guest" (the rings' side), network byte order
 * @peer_mac: its MAC address
 *
 * With it, UDP sockets bound to @local receive what the TX queue sends to
 * @local, and datagrams sent to @peer go out of the tap (no ARP: the
 * neighbour is static) into the RX queue.
 *
 * Return: 0 or -errno.
 */
int vqnet_tap_ipv4(struct vqnet *n, uint32_t local, unsigned int prefix, uint32_t peer,
		   const uint8_t peer_mac[6]);

/*
 * A non-blocking UDP socket bound to @addr:@port (network / host byte
 * order) with a receive buffer large enough for a burst of frames.
 * Return: the descriptor or -errno.
 */
int vqnet_udp_socket(uint32_t addr, uint16_t port);

/**
 * struct vqnet_udp4 - the headers of an Ethernet + IPv4 + UDP frame
 * @dst_mac: destination MAC
 * @src_mac: source MAC
 * @saddr: IPv4 source, network byte order
 * @daddr: IPv4 destination, network byte order
 * @sport: UDP source port, host byte order
 * @dport: UDP destination port, host byte order
 * @ip_id: IPv4 identification
 */
struct vqnet_udp4 {
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	uint32_t saddr;
	uint32_t daddr;
	uint16_t sport;
	uint16_t dport;
	uint16_t ip_id;
};

/* Bytes of Ethernet + IPv4 (no options) + UDP headers. */
#define VQNET_UDP4_HDRS	42

/*
 * Write a frame of VQNET_UDP4_HDRS + @len bytes into @frame (valid IPv4
 * checksum, UDP checksum 0).  Return: the frame's length, 0 if it exceeds
 * @cap or 65507 bytes of payload.
 */
size_t vqnet_udp4_build(uint8_t *frame, size_t cap, const struct vqnet_udp4 *h,
			const void *payload, size_t len);

/*
 * Parse a frame: Ethernet, IPv4 (options allowed, no fragments, good
 * header checksum), UDP with a consistent length.  Return: 0 with @h, the
 * payload and its length filled, or -EPROTO (not such a frame) or
 * -EBADMSG (malformed).
 */
int vqnet_udp4_parse(const uint8_t *frame, size_t len, struct vqnet_udp4 *h,
		     const uint8_t **payload, size_t *plen);

#endif /* VQNET_VHOST_NET_H */
