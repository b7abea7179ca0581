/* SPDX-License-Identifier: MIT */
/*
 * libvqchar net: a virtio-net driver over the kernel's vhost-net, with a
 * tun (IP packets) or tap (Ethernet frames) device as the network end.
 *
 * A struct vqchar_net is one tun/tap interface with one or more queue
 * pairs.  Each pair is a receive queue (virtio-net receiveqN, vq 0 of its
 * vhost-net) and a transmit queue (transmitqN, vq 1), both libvqchar
 * queues of either memory backend, and ONE vhost-net instance that drives
 * both through one memory table: the two pools sit at disjoint I/O
 * addresses (struct vqchar_params.io_base), as in a VMM.  Pair i uses
 * queue i of the tun (IFF_MULTI_QUEUE when there is more than one pair).
 *
 * What the program sends enters the kernel's stack as received on the
 * interface; what the stack sends out of the interface lands in the
 * receive buffers.  Every packet carries a 12-byte struct vqchar_net_hdr
 * (virtio_net_hdr_v1): checksum offload and GSO are described there.
 *
 * Negotiated with vhost-net: VIRTIO_F_VERSION_1 and VIRTIO_NET_F_MRG_RXBUF
 * always; VQCHAR_F_EVENT_IDX and VQCHAR_F_INDIRECT_DESC when asked for.
 * vhost-net passes the header through to the tun untouched, so the
 * offloads (VQCHAR_NET_F_CSUM, ..._TSO*, ..._USO*) are what the tun
 * device accepts: the library probes them with TUNSETOFFLOAD, as QEMU
 * does, and sets the tun's receive offloads to the GUEST_* bits
 * negotiated.  TUNSETVNETHDRSZ is 12.
 *
 * Conventions as in <vqchar.h>: 0, a count or an index on success,
 * -errno on failure, errno never used, no abort, no global state.
 *
 * Thread safety: the TX calls of one pair (vqchar_net_send*(),
 * vqchar_net_tx_*()) must not run concurrently with each other; nor may
 * the RX calls of one pair (vqchar_net_recv*()).  TX and RX of a pair, and
 * different pairs, may be driven from different threads at once.
 * vqchar_net_wait() and vqchar_net_arm() count as a call on each side
 * they name.  Accessors are lock-free.  vqchar_net_close() must not race
 * with anything on @n.
 */
#ifndef LIBVQCHAR_NET_H
#define LIBVQCHAR_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <vqchar.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct vqchar_net_hdr - the virtio-net header of every packet
 *	(struct virtio_net_hdr_v1; fields little endian, as in virtio 1.x)
 * @flags: VQCHAR_NET_HDR_F_*
 * @gso_type: VQCHAR_NET_GSO_*, possibly | VQCHAR_NET_GSO_ECN
 * @hdr_len: bytes of headers (link + network + transport) in a GSO packet
 * @gso_size: payload bytes per segment (MSS) of a GSO packet
 * @csum_start: with NEEDS_CSUM: where the checksum computation starts
 * @csum_offset: with NEEDS_CSUM: where, from csum_start, the sum goes
 * @num_buffers: receive only: receive buffers the packet spans (the
 *	library has already gathered them); 0 on transmit
 */
struct vqchar_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

#define VQCHAR_NET_HDR_LEN		12

#define VQCHAR_NET_HDR_F_NEEDS_CSUM	1	/* partial checksum: see csum_* */
#define VQCHAR_NET_HDR_F_DATA_VALID	2	/* receive: checksum verified */

#define VQCHAR_NET_GSO_NONE		0
#define VQCHAR_NET_GSO_TCPV4		1
#define VQCHAR_NET_GSO_TCPV6		4
#define VQCHAR_NET_GSO_UDP_L4		5	/* USO, Linux 6.2+ */
#define VQCHAR_NET_GSO_ECN		0x80

/*
 * Features, numbered as the virtio-net feature bits (HOST_* = the device
 * takes it from us: transmit; GUEST_* = we take it: receive).  The ring
 * features VQCHAR_F_EVENT_IDX and VQCHAR_F_INDIRECT_DESC share the word.
 */
#define VQCHAR_NET_F_CSUM	(1ULL << 0)	/* send packets with NEEDS_CSUM */
#define VQCHAR_NET_F_GUEST_CSUM	(1ULL << 1)	/* receive them */
#define VQCHAR_NET_F_GUEST_TSO4	(1ULL << 7)	/* receive TCPv4 GSO packets */
#define VQCHAR_NET_F_GUEST_TSO6	(1ULL << 8)
#define VQCHAR_NET_F_HOST_TSO4	(1ULL << 11)	/* send TCPv4 GSO packets */
#define VQCHAR_NET_F_HOST_TSO6	(1ULL << 12)
#define VQCHAR_NET_F_MRG_RXBUF	(1ULL << 15)	/* always negotiated */
#define VQCHAR_NET_F_GUEST_USO4	(1ULL << 54)	/* receive UDP GSO; with USO6 */
#define VQCHAR_NET_F_GUEST_USO6	(1ULL << 55)
#define VQCHAR_NET_F_HOST_USO	(1ULL << 56)	/* send UDP GSO packets */
#define VQCHAR_NET_F_OFFLOADS	(VQCHAR_NET_F_CSUM | VQCHAR_NET_F_GUEST_CSUM | \
				 VQCHAR_NET_F_GUEST_TSO4 | VQCHAR_NET_F_GUEST_TSO6 | \
				 VQCHAR_NET_F_HOST_TSO4 | VQCHAR_NET_F_HOST_TSO6 | \
				 VQCHAR_NET_F_GUEST_USO4 | VQCHAR_NET_F_GUEST_USO6 | \
				 VQCHAR_NET_F_HOST_USO)
#define VQCHAR_NET_F_ALL	(VQCHAR_NET_F_OFFLOADS | VQCHAR_NET_F_MRG_RXBUF | VQCHAR_F_ALL)

/* struct vqchar_net_params.flags */
#define VQCHAR_NET_TAP		(1U << 0)	/* IFF_TAP (Ethernet); else IFF_TUN (IP) */
#define VQCHAR_NET_ADOPT	(1U << 1)	/* use @tun_fds instead of creating */
#define VQCHAR_NET_UP		(1U << 2)	/* set the interface up */
#define VQCHAR_NET_BEST_EFFORT	(1U << 3)	/* drop unoffered @features, no -EOPNOTSUPP */
#define VQCHAR_NET_DEV_FD	(1U << 4)	/* kernel backend: queues in @dev_fd */

#define VQCHAR_NET_MAX_PAIRS	16
#define VQCHAR_NET_DEFAULT_NUM	256
#define VQCHAR_NET_DEFAULT_BUF	2048

/**
 * struct vqchar_net_params - what vqchar_net_open() builds
 * @backend: VQCHAR_BACKEND_ANON or VQCHAR_BACKEND_KERNEL (the queues are
 *	/dev/vqchar queues with device VQCHAR_DEV_EXTERNAL: vhost plays it)
 * @flags: VQCHAR_NET_*
 * @pairs: queue pairs, 1 to VQCHAR_NET_MAX_PAIRS; 0 means 1
 * @num: ring size of every queue (power of two, 2 to 32768); 0 means 256
 * @rx_buf_size: bytes per receive buffer, 64 to 65536, a multiple of 16;
 *	0 means 2048.  A packet spans as many buffers as it needs.
 * @tx_buf_size: bytes per transmit buffer, same rules; the transmit pool
 *	holds 2 * @num of them (a 64 KiB GSO packet takes 33 of 2048 bytes)
 * @features: VQCHAR_NET_F_* and VQCHAR_F_* wanted
 * @ifname: interface name or pattern ("vq%d"); NULL means "vqnet%d".
 *	Ignored with VQCHAR_NET_ADOPT.
 * @tun_fds: with VQCHAR_NET_ADOPT: @pairs open tun/tap queues (TUNSETIFF
 *	done, with IFF_VNET_HDR and IFF_NO_PI); duplicated, the caller keeps
 *	its descriptors
 * @dev_fd: with VQCHAR_NET_DEV_FD: an open /dev/vqchar for the queues
 * @reserved: must be 0
 */
struct vqchar_net_params {
	uint32_t backend;
	uint32_t flags;
	uint32_t pairs;
	uint32_t num;
	uint32_t rx_buf_size;
	uint32_t tx_buf_size;
	uint64_t features;
	const char *ifname;
	const int *tun_fds;
	int32_t dev_fd;
	uint32_t reserved[5];
};

struct vqchar_net;

/**
 * vqchar_net_open() - create or adopt a tun/tap and drive it through vhost-net
 * @p: what to build
 * @np: the result
 *
 * Return: 0 or -errno, with nothing left behind on failure:
 * -EINVAL: bad @p (unknown flags or features, reserved not 0, bad sizes,
 *	HOST_TSO or HOST_USO without CSUM, GUEST_TSO/USO without GUEST_CSUM,
 *	only one of GUEST_USO4/6, an adopted fd of another kind than asked);
 * -ENOENT: no /dev/vhost-net (vhost_net not loaded);
 * -ENODEV: no /dev/net/tun (tun not loaded);
 * -EBADF: an adopted descriptor is not an attached tun/tap queue;
 * -EOPNOTSUPP: a wanted feature is not offered (without
 *	VQCHAR_NET_BEST_EFFORT), vhost-net lacks VERSION_1 or MRG_RXBUF, or
 *	an adopted queue lacks IFF_VNET_HDR or (for several pairs)
 *	IFF_MULTI_QUEUE;
 * -EACCES: a device node's permissions refuse us;
 * -EPERM: creating the interface or bringing it up needs CAP_NET_ADMIN;
 * -EBUSY: the interface exists and is not ours to attach to;
 * other: from queue creation (vqchar_queue_create()) or vhost ioctls.
 * Thread safety: any thread.
 */
int vqchar_net_open(const struct vqchar_net_params *p, struct vqchar_net **np);

/*
 * Stop vhost (it stops touching the rings), close the tun queues and the
 * queues, free @n (NULL is fine).  Return: 0 or the first error met; @n is
 * freed in any case.
 */
int vqchar_net_close(struct vqchar_net *n);

/* ---- accessors: fixed at open, lock-free ---- */

uint64_t vqchar_net_features(const struct vqchar_net *n);	/* negotiated */
unsigned int vqchar_net_pairs(const struct vqchar_net *n);
const char *vqchar_net_ifname(const struct vqchar_net *n);
int vqchar_net_ifindex(const struct vqchar_net *n);
/* The tun queue and the vhost-net instance of @pair, or -EINVAL. */
int vqchar_net_tun_fd(const struct vqchar_net *n, unsigned int pair);
int vqchar_net_vhost_fd(const struct vqchar_net *n, unsigned int pair);
/*
 * The underlying queues (VQCHAR_NET_RX / VQCHAR_NET_TX), or NULL.  They
 * are single issuer (VQCHAR_PARAMS_SINGLE_ISSUER): driver calls on one
 * count as that side's calls under the thread rules above.
 */
struct vqchar_queue *vqchar_net_queue(const struct vqchar_net *n, unsigned int pair,
				      unsigned int which);
/*
 * Largest packet, header excluded, vqchar_net_send() takes: 65,593 bytes
 * (IPv6's largest, 65,575, behind an Ethernet and a VLAN header) when the
 * pool and the ring hold that much.
 */
uint32_t vqchar_net_max_packet(const struct vqchar_net *n);

/* ---- transmit ---- */

/**
 * struct vqchar_net_pkt - one packet for vqchar_net_send()
 * @hdr: its header, or NULL for all zero (no offload)
 * @iov: the packet (an IP packet for tun, an Ethernet frame for tap)
 * @iov_cnt: entries in @iov
 */
struct vqchar_net_pkt {
	const struct vqchar_net_hdr *hdr;
	const struct iovec *iov;
	unsigned int iov_cnt;
};

/* vqchar_net_send*() flags */
#define VQCHAR_NET_NO_KICK	(1U << 0)	/* publish only; vqchar_net_kick() later */

/**
 * vqchar_net_send() - copy packets into the transmit pool and offer them
 * @n: the net
 * @pair: the queue pair
 * @pkts: the packets
 * @nr: entries in @pkts
 * @flags: VQCHAR_NET_NO_KICK or 0
 *
 * Reclaims what vhost finished first, then copies each packet (header and
 * data) into as few pool buffers as it takes, one chain per packet, and
 * kicks once for the batch (unless vhost asked not to be kicked).
 *
 * Return: packets offered (0 when the ring or the pool is full: wait with
 * VQCHAR_NET_TX), or -errno: -EINVAL (bad @pair, flags, NULL pointers,
 * an empty packet), -EMSGSIZE (the first packet is longer than
 * vqchar_net_max_packet()), -EIO (the queue broke).
 */
int vqchar_net_send(struct vqchar_net *n, unsigned int pair, const struct vqchar_net_pkt *pkts,
		    unsigned int nr, unsigned int flags);

/**
 * struct vqchar_net_txbuf - a transmit buffer filled in place (zero copy)
 * @hdr: the packet's header, at the start of the buffer, zeroed by
 *	vqchar_net_tx_get(); fill it for offloads
 * @data: where the packet goes, right after the header
 * @cap: bytes available at @data
 * @len: set by the caller: bytes of packet written at @data
 * @id: the library's
 */
struct vqchar_net_txbuf {
	struct vqchar_net_hdr *hdr;
	void *data;
	uint32_t cap;
	uint32_t len;
	uint32_t id;
	uint32_t pad;
};

/*
 * Take up to @nr free transmit buffers (reclaiming first).  Return: the
 * number taken (0 if none is free), or -EINVAL.
 */
int vqchar_net_tx_get(struct vqchar_net *n, unsigned int pair, struct vqchar_net_txbuf *bufs,
		      unsigned int nr);
/* Give back buffers from vqchar_net_tx_get() unsent.  0 or -EINVAL. */
int vqchar_net_tx_put(struct vqchar_net *n, unsigned int pair,
		      const struct vqchar_net_txbuf *bufs, unsigned int nr);

/**
 * vqchar_net_send_bufs() - offer filled buffers, one packet each, no copy
 * @n: the net
 * @pair: the queue pair
 * @bufs: from vqchar_net_tx_get(), @len set; sent ones belong to the
 *	library again
 * @nr: entries in @bufs
 * @flags: VQCHAR_NET_NO_KICK or 0
 *
 * Return: packets offered, in order (the caller still owns the rest), or
 * -errno: -EINVAL (not the caller's buffer, @len > @cap or 0), -EIO.
 */
int vqchar_net_send_bufs(struct vqchar_net *n, unsigned int pair,
			 const struct vqchar_net_txbuf *bufs, unsigned int nr, unsigned int flags);

/* Kick for packets offered with VQCHAR_NET_NO_KICK.  1 if kicked, 0, or -errno. */
int vqchar_net_kick(struct vqchar_net *n, unsigned int pair);

/*
 * Free the transmit chains vhost has finished with (the send calls do it
 * too).  Return: the number, or -errno.
 */
int vqchar_net_tx_reclaim(struct vqchar_net *n, unsigned int pair);

/*
 * Packets offered on @pair and not yet reclaimed: 0 once vhost has
 * finished with everything sent.  Counts as a TX call.  -EINVAL if bad.
 */
int vqchar_net_tx_inflight(const struct vqchar_net *n, unsigned int pair);

/* ---- receive ---- */

/**
 * struct vqchar_net_rxpkt - one received packet, still in the receive pool
 * @hdr: its header (num_buffers says how many buffers it spans)
 * @len: packet bytes, header excluded
 * @nr_iov: segments at @iov
 * @iov: the packet's bytes, in order, pointing into the pool; points into
 *	the array given to vqchar_net_recv()
 */
struct vqchar_net_rxpkt {
	struct vqchar_net_hdr hdr;
	uint32_t len;
	uint32_t nr_iov;
	struct iovec *iov;
};

/**
 * vqchar_net_recv() - take received packets, without blocking
 * @n: the net
 * @pair: the queue pair
 * @pkts: receives up to @max packets
 * @max: entries in @pkts
 * @iov: segment storage for the packets, @iov_max entries
 * @iov_max: at least vqchar_net_rx_max_segs() to be sure any packet fits
 *
 * A packet spanning several mergeable buffers (a GSO packet, say) comes
 * whole, with its header.  The packets stay in the pool until
 * vqchar_net_recv_done(); keep them at most until then.
 *
 * Return: the number of packets (0 if none), or -errno: -EINVAL, -ENOBUFS
 * (the next packet has more segments than @iov_max), -EPROTO (vhost wrote
 * a malformed packet: shorter than the header, or a num_buffers that the
 * used ring does not hold; the packet is dropped), -EIO (broken queue).
 */
int vqchar_net_recv(struct vqchar_net *n, unsigned int pair, struct vqchar_net_rxpkt *pkts,
		    unsigned int max, struct iovec *iov, unsigned int iov_max);

/*
 * Give the buffers of received packets back to vhost (one kick for all).
 * Packets may come back in any order.  Return: 0 or -errno (-EINVAL for
 * a packet that is not outstanding).
 */
int vqchar_net_recv_done(struct vqchar_net *n, unsigned int pair,
			 const struct vqchar_net_rxpkt *pkts, unsigned int nr);

/* Receive buffers one packet can span at most. */
unsigned int vqchar_net_rx_max_segs(const struct vqchar_net *n);

/* ---- waiting ---- */

#define VQCHAR_NET_RX	0x1	/* received packets to take */
#define VQCHAR_NET_TX	0x2	/* transmit room freed (chains to reclaim) */

/**
 * vqchar_net_arm() - before sleeping in an event loop
 * @n: the net
 * @pair: the queue pair
 * @events: VQCHAR_NET_RX and/or VQCHAR_NET_TX
 *
 * Resets the pair's call eventfds, asks vhost to signal them and checks
 * the rings once more.  If it returns non-zero, do not sleep: handle the
 * events.  Else poll vqchar_net_fd() for POLLIN.
 *
 * Return: a mask of the @events already ready, 0, or -errno (-EIO when
 * vhost or the library found a ring broken).
 */
int vqchar_net_arm(struct vqchar_net *n, unsigned int pair, unsigned int events);

/*
 * The pollable descriptor of one side (VQCHAR_NET_RX or VQCHAR_NET_TX):
 * its call eventfd.  vhost reports ring errors on a separate err eventfd
 * (vqchar_queue_err_fd() of vqchar_net_queue()).  -EINVAL if bad.
 */
int vqchar_net_fd(const struct vqchar_net *n, unsigned int pair, unsigned int which);

/**
 * vqchar_net_wait() - sleep until a side of a pair needs attention
 * @n: the net
 * @pair: the queue pair
 * @events: VQCHAR_NET_RX and/or VQCHAR_NET_TX
 * @timeout_ms: as poll(): -1 forever
 *
 * vqchar_net_arm(), then poll the call and err eventfds.  Unlike the old
 * example's vqnet_wait(), a timeout is never reported as readiness.
 *
 * Return: the mask of ready @events (> 0), -ETIMEDOUT when nothing became
 * ready in time, -EINTR when a signal interrupted the wait, -EIO when a
 * ring is broken (vhost signalled VHOST_SET_VRING_ERR), -EINVAL.
 */
int vqchar_net_wait(struct vqchar_net *n, unsigned int pair, unsigned int events,
		    int timeout_ms);

/* ---- counters ---- */

/**
 * struct vqchar_net_stats - one pair's counters since open
 * @tx_packets: packets offered
 * @tx_bytes: their bytes, headers excluded
 * @tx_kicks: kick eventfd signals sent to vhost on the transmit queue
 * @tx_calls: call signals vhost sent on the transmit queue
 * @rx_packets: packets received
 * @rx_bytes: their bytes, headers excluded
 * @rx_buffers: receive buffers they used
 * @rx_kicks: kicks sent after refilling the receive queue
 * @rx_calls: call signals vhost sent on the receive queue
 *
 * Calls are counted from the eventfd counters (each of vhost's signals
 * adds one), read here and by the waits.
 */
struct vqchar_net_stats {
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_kicks;
	uint64_t tx_calls;
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t rx_buffers;
	uint64_t rx_kicks;
	uint64_t rx_calls;
};

/* A snapshot.  Counts as a TX and an RX call of @pair.  0 or -EINVAL. */
int vqchar_net_get_stats(struct vqchar_net *n, unsigned int pair, struct vqchar_net_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* LIBVQCHAR_NET_H */
