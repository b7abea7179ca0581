/* SPDX-License-Identifier: MIT */
/*
 * vqnet: a tap device driven through libvqchar's net API (<vqchar_net.h>):
 * one RX and one TX queue on one vhost-net instance, the program playing
 * the virtio-net driver and the kernel's stack the far end of the tap.
 * Frames in the rings carry a 12-byte struct vqchar_net_hdr, which this
 * helper keeps at zero (no offloads): it speaks Ethernet frames only.
 * What the TX queue sends enters the kernel's network stack as received
 * on the tap; what the stack sends out of the tap lands in the RX queue.
 *
 * Typical use:
 *
 *	struct vqnet_config cfg = { .backend = VQCHAR_BACKEND_ANON, .num = 256 };
 *	struct vqnet *n;
 *
 *	if (vqnet_open(&cfg, &n) < 0)
 *		...;
 *	vqnet_tx_send(n, &frame, 1);		// frame goes into the tap
 *	vqnet_wait(n, VQNET_READY_RX, -1, 1000);
 *	while (vqnet_rx_take(n, &f) == 1) {	// frames the tap sent out
 *		use(f.data, f.len);
 *		vqnet_rx_release(n, &f);
 *	}
 *	vqnet_close(n);
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
#include <vqchar_net.h>

#define VQNET_HDR_LEN		VQCHAR_NET_HDR_LEN
#define VQNET_BUF_SIZE		VQCHAR_NET_DEFAULT_BUF	/* header + a full frame */
#define VQNET_MAX_FRAME		(VQNET_BUF_SIZE - VQNET_HDR_LEN)
#define VQNET_RX_BATCH		64

/**
 * struct vqnet_config - what vqnet_open() builds
 * @backend: VQCHAR_BACKEND_ANON or VQCHAR_BACKEND_KERNEL
 * @num: ring size of each queue; 0 means 256
 * @features: VQCHAR_F_* wanted on both rings; those vhost-net does not
 *	offer are dropped
 * @ifname: tap name or pattern; NULL means "vqtap%d"
 */
struct vqnet_config {
	uint32_t backend;
	uint32_t num;
	uint64_t features;
	const char *ifname;
};

/**
 * struct vqnet - the net device and the frames received but not yet taken
 * @net: the libvqchar net (one pair)
 * @ifname: the tap's name
 * @ifindex: the tap's interface index
 * @mac: the tap's MAC address (the stack's side of the link)
 * @rx: a batch from vqchar_net_recv(), handed out one frame at a time
 * @rx_iov: its segments
 * @rx_n: packets in @rx
 * @rx_next: the next one to hand out
 */
struct vqnet {
	struct vqchar_net *net;
	char ifname[IFNAMSIZ];
	int ifindex;
	uint8_t mac[6];
	struct vqchar_net_rxpkt rx[VQNET_RX_BATCH];
	struct iovec rx_iov[VQNET_RX_BATCH];
	unsigned int rx_n;
	unsigned int rx_next;
};

/**
 * vqnet_probe() - can this machine run vqnet at all?
 * @missing: receives the path that is missing or not usable
 *
 * Return: 0, or -errno from opening /dev/vhost-net or /dev/net/tun.
 */
int vqnet_probe(const char **missing);

/*
 * Create the tap and wire it to vhost-net through vqchar_net_open().
 * Return: 0 or -errno (see vqchar_net_open()); nothing is left behind.
 */
int vqnet_open(const struct vqnet_config *cfg, struct vqnet **np);

/* Stop vhost, close the tap and the queues.  @n may be NULL. */
void vqnet_close(struct vqnet *n);

/* The features negotiated (VQCHAR_F_* and VQCHAR_NET_F_*). */
uint64_t vqnet_features(const struct vqnet *n);

/**
 * vqnet_tx_send() - send Ethernet frames, one kick for all
 * @n: the vqnet
 * @frames: the frames, without virtio-net header (an all-zero one is
 *	added); each at most VQNET_MAX_FRAME
 * @nr: entries in @frames
 *
 * Return: frames offered (0 when the ring is full), or -errno.
 */
int vqnet_tx_send(struct vqnet *n, const struct iovec *frames, unsigned int nr);

/* Free the TX chains vhost has used.  Return: the number freed, or -errno. */
int vqnet_tx_complete(struct vqnet *n);

/**
 * struct vqnet_frame - a received frame, still in the RX queue's pool
 * @hdr: the virtio-net header vhost/tap wrote
 * @data: the Ethernet frame
 * @len: its length
 * @pkt: what to give back to vqchar_net_recv_done()
 * @seg: the frame's one segment
 */
struct vqnet_frame {
	struct vqchar_net_hdr hdr;
	const uint8_t *data;
	uint32_t len;
	struct vqchar_net_rxpkt pkt;
	struct iovec seg;
};

/*
 * Take the next received frame.  Return: 1 with @f filled, 0 if none is
 * waiting, or -errno (-EMSGSIZE for a frame spanning several buffers,
 * which is dropped).  Release the frame when done with its data.
 */
int vqnet_rx_take(struct vqnet *n, struct vqnet_frame *f);
int vqnet_rx_release(struct vqnet *n, struct vqnet_frame *f);

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
 * vqchar_net_arm(), then poll the call fds (vqchar_net_fd()), the err
 * eventfds and @fd: the event-loop use of the net API.
 *
 * Return: a mask of VQNET_READY_* (> 0), -ETIMEDOUT when nothing became
 * ready in time, -EIO if vhost reported a ring error, or -errno.
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
