/* SPDX-License-Identifier: MIT */
/*
 * libvqchar net internals, shared by net.c (setup) and net_io.c (the
 * packet paths).
 */
#ifndef LIBVQCHAR_NET_INT_H
#define LIBVQCHAR_NET_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include <vqchar.h>
#include <vqchar_net.h>

#define VQNET_NO_HEAD		UINT32_MAX
/*
 * What a GSO packet can be: IPv6's, a 40-byte header and 65,535 payload
 * bytes (IPv4's total length stops at 65,535), plus an Ethernet and a
 * VLAN header.
 */
#define VQNET_MAX_PACKET	(40 + 65535 + 14 + 4)

/*
 * One queue pair.  TX fields belong to the TX caller, RX fields to the RX
 * caller (see the thread rules in vqchar_net.h).
 */
struct vqchar_net_pair {
	struct vqchar_queue *rxq;
	struct vqchar_queue *txq;
	int tun_fd;
	int vhost_fd;

	/* TX; @tx_segs has room for the largest packet's buffers. */
	struct vqchar_buf_seg *tx_segs;
	bool tx_armed;
	uint32_t tx_inflight;		/* offered, not yet reclaimed */
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_calls;

	/*
	 * RX: used chains taken from the ring but not yet handed up, in used
	 * order (a ring of num entries from rx_fifo_first); and, per receive
	 * buffer (one per chain), the head of the chain holding it while the
	 * caller has it, else VQNET_NO_HEAD.
	 */
	struct vqchar_used *rx_fifo;
	uint32_t rx_fifo_first;
	uint32_t rx_fifo_count;
	uint32_t *rx_head_of_buf;
	uint8_t *rx_pool;
	bool rx_armed;
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t rx_buffers;
	uint64_t rx_calls;
};

struct vqchar_net {
	uint32_t backend;
	uint32_t npairs;
	uint32_t num;
	uint32_t rx_buf_size;
	uint32_t tx_buf_size;
	uint64_t features;
	bool tap;			/* IFF_TAP, else IFF_TUN */
	char ifname[IFNAMSIZ];
	int ifindex;
	struct vqchar_net_pair pair[];
};

/* Largest packet one TX chain carries, header excluded. */
static inline uint32_t vqnet_max_packet(const struct vqchar_net *n)
{
	uint64_t segs = n->num, bytes;

	/* An indirect table is one buffer of 16-byte descriptors. */
	if ((n->features & VQCHAR_F_INDIRECT_DESC) && n->tx_buf_size / 16 > segs)
		segs = n->tx_buf_size / 16;
	if (segs > 2 * (uint64_t)n->num - 1)
		segs = 2 * (uint64_t)n->num - 1;
	bytes = segs * n->tx_buf_size - VQCHAR_NET_HDR_LEN;
	return bytes < VQNET_MAX_PACKET ? (uint32_t)bytes : VQNET_MAX_PACKET;
}

/* net_io.c: offer up to @nr receive buffers.  Return: offered, or -errno. */
int __vqnet_rx_refill(struct vqchar_net_pair *pp, unsigned int nr);

#endif /* LIBVQCHAR_NET_INT_H */
