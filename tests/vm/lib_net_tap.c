// SPDX-License-Identifier: GPL-2.0
/*
 * A tap driven through libvqchar's net API (via examples/vhost_net.c):
 * the RX and the TX queue on one vhost-net instance, both memory backends.
 *
 * The far end of the tap is the kernel's own IPv4 stack: the debug kernel
 * has no AF_PACKET, so frames are Ethernet/IPv4/UDP and the test talks to
 * the stack through UDP sockets.  The tap is 10.77.0.1; the rings play
 * 10.77.0.2, a static neighbour, so the stack never sends ARP.
 *
 * Per backend, one test runs both directions at once:
 *
 *  tx: the TX ring offers 10,000 frames of 60..1514 bytes with
 *      deterministic pseudo-random payloads; vhost-net writes them into the
 *      tap; a UDP socket bound to 10.77.0.1 receives each payload, which is
 *      compared byte for byte (the stack has checked the headers).
 *  rx: a UDP socket sends 10,000 datagrams to 10.77.0.2; the stack sends
 *      them out of the tap; vhost-net puts them into the RX ring's buffers;
 *      every frame is parsed and compared: MACs, addresses, ports, lengths
 *      and the payload byte for byte.
 *
 * Each frame carries its sequence number, so a lost, duplicated or
 * corrupted frame is named.  At most VN_WINDOW frames are in flight, so
 * nothing is dropped on the way; the rings stay full and every wait is a
 * poll with a timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wclobbered"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#include "vhost_net.h"

#define VN_FRAMES	10000
#define VN_MIN_FRAME	60
#define VN_MAX_FRAME	1514
/*
 * Frames sent but not yet received.  Below the tap's queue (500 frames),
 * the RX ring (256 buffers) and what a 4 MiB socket buffer holds.
 */
#define VN_WINDOW	192
#define VN_BATCH	64	/* frames per offer / sendmmsg / recvmmsg */
#define VN_STALL_MS	10000	/* no progress for this long: fail */
#define VN_STACK_PORT	5555
#define VN_RING_PORT	6666

static const uint8_t vn_ring_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x77, 0x02 };

static uint32_t vn_hash(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x;
}

/* Frame length of frame @seq: 60..1514 bytes, Ethernet header included. */
static size_t vn_frame_len(uint32_t seq)
{
	return VN_MIN_FRAME + vn_hash(seq * 2 + 1) % (VN_MAX_FRAME - VN_MIN_FRAME + 1);
}

static size_t vn_payload_len(uint32_t seq)
{
	return vn_frame_len(seq) - VQNET_UDP4_HDRS;
}

/* The payload of frame @seq: its sequence number, then xorshift32 bytes. */
static void vn_payload(uint8_t *p, size_t len, uint32_t seq)
{
	uint32_t x = vn_hash(seq) | 1;
	size_t i;

	memcpy(p, &seq, sizeof(seq));
	for (i = sizeof(seq); i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static int64_t vn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Check a received payload.  Returns its sequence number, or -1 after
 * logging what is wrong.
 */
static int64_t vn_check_payload(struct __test_metadata *_metadata, const uint8_t *p,
				size_t len, uint8_t *seen)
{
	static uint8_t want[VN_MAX_FRAME];
	uint32_t seq;
	size_t i;

	if (len < sizeof(seq)) {
		TH_LOG("payload of %zu bytes is too short to carry a sequence number", len);
		return -1;
	}
	memcpy(&seq, p, sizeof(seq));
	if (seq >= VN_FRAMES) {
		TH_LOG("payload names frame %u, beyond the %d sent", seq, VN_FRAMES);
		return -1;
	}
	if (seen[seq]) {
		TH_LOG("frame %u arrived twice", seq);
		return -1;
	}
	if (len != vn_payload_len(seq)) {
		TH_LOG("frame %u: payload of %zu bytes, %zu expected", seq, len,
		       vn_payload_len(seq));
		return -1;
	}
	vn_payload(want, len, seq);
	for (i = 0; i < len; i++) {
		if (p[i] != want[i]) {
			TH_LOG("frame %u: byte %zu of the payload is 0x%02x, 0x%02x expected",
			       seq, i, p[i], want[i]);
			return -1;
		}
	}
	seen[seq] = 1;
	return seq;
}

static int64_t vn_first_missing(const uint8_t *seen)
{
	int64_t i;

	for (i = 0; i < VN_FRAMES; i++)
		if (!seen[i])
			return i;
	return -1;
}

FIXTURE(vhost_net) {
	struct vqnet *n;
	int sock;
	uint32_t local;
	uint32_t peer;
};

FIXTURE_VARIANT(vhost_net) {
	uint32_t backend;
	uint64_t features;
};

FIXTURE_VARIANT_ADD(vhost_net, anon) {
	.backend = VQCHAR_BACKEND_ANON,
	.features = VQCHAR_F_EVENT_IDX,
};

FIXTURE_VARIANT_ADD(vhost_net, kernel) {
	.backend = VQCHAR_BACKEND_KERNEL,
	.features = VQCHAR_F_EVENT_IDX,
};

FIXTURE_SETUP(vhost_net)
{
	struct vqnet_config cfg = {
		.backend = variant->backend,
		.num = 256,
		.features = variant->features,
	};
	const char *missing = NULL;
	int ret;

	self->n = NULL;
	self->sock = -1;
	ret = vqnet_probe(&missing);
	if (ret)
		SKIP(return, "%s: %s (no vhost-net or tun in this kernel)", missing,
		     strerror(-ret));
	ret = vqnet_open(&cfg, &self->n);
	ASSERT_EQ(0, ret) {
		TH_LOG("vqnet_open: %s", strerror(-ret));
	}
	/* Both queues on one vhost-net instance. */
	ASSERT_EQ(1, vqchar_net_pairs(self->n->net));
	ASSERT_LE(0, vqchar_net_vhost_fd(self->n->net, 0));
	ASSERT_NE(vqchar_queue_io_base(vqchar_net_queue(self->n->net, 0, VQCHAR_NET_RX)),
		  vqchar_queue_io_base(vqchar_net_queue(self->n->net, 0, VQCHAR_NET_TX)));
	self->local = htonl(0x0a4d0001);	/* 10.77.0.1 */
	self->peer = htonl(0x0a4d0002);		/* 10.77.0.2 */
	ret = vqnet_tap_ipv4(self->n, self->local, 24, self->peer, vn_ring_mac);
	ASSERT_EQ(0, ret) {
		TH_LOG("configuring %s: %s", self->n->ifname, strerror(-ret));
	}
	self->sock = vqnet_udp_socket(self->local, VN_STACK_PORT);
	ASSERT_LE(0, self->sock) {
		TH_LOG("UDP socket: %s", strerror(-self->sock));
	}
}

FIXTURE_TEARDOWN(vhost_net)
{
	if (self->sock >= 0)
		close(self->sock);
	vqnet_close(self->n);
}

/* One direction's progress. */
struct vn_dir {
	uint32_t sent;
	uint32_t got;
	uint32_t out_of_order;
	uint32_t next;
	uint32_t other;
	int ring_full;
	uint8_t seen[VN_FRAMES];
};

static void vn_count(struct vn_dir *d, int64_t seq)
{
	d->out_of_order += (uint32_t)seq != d->next;
	d->next = (uint32_t)seq + 1;
	d->got++;
}

/*
 * How many frames to send next: the window's room, in batches.  Waiting
 * for half a batch of room before sending again keeps the syscalls, kicks
 * and wake-ups per frame low, which is what costs under emulation.
 */
static uint32_t vn_room(const struct vn_dir *d)
{
	uint32_t left = VN_FRAMES - d->sent, room = VN_WINDOW - (d->sent - d->got);

	if (room < VN_BATCH / 2 && room < left)
		return 0;
	if (room > left)
		room = left;
	return room > VN_BATCH ? VN_BATCH : room;
}

/*
 * TX: offer what the window allows on the TX ring, then receive what the
 * stack delivered to the UDP socket.  Returns whether anything moved.
 */
static int vn_tx_step(struct __test_metadata *_metadata, FIXTURE_DATA(vhost_net) *self,
		      struct vn_dir *d)
{
	static uint8_t frames[VN_BATCH][VN_MAX_FRAME];
	static uint8_t bufs[VN_BATCH][VN_MAX_FRAME + 1];
	static uint8_t payload[VN_MAX_FRAME];
	struct iovec iov[VN_BATCH], riov[VN_BATCH];
	struct mmsghdr msgs[VN_BATCH];
	struct sockaddr_in from[VN_BATCH];
	uint32_t k = vn_room(d), i;
	int progress = 0, r;

	if (k) {
		for (i = 0; i < k; i++) {
			struct vqnet_udp4 h = {
				.saddr = self->peer, .daddr = self->local,
				.sport = VN_RING_PORT, .dport = VN_STACK_PORT,
				.ip_id = (uint16_t)(d->sent + i),
			};
			size_t plen = vn_payload_len(d->sent + i);

			memcpy(h.dst_mac, self->n->mac, 6);
			memcpy(h.src_mac, vn_ring_mac, 6);
			vn_payload(payload, plen, d->sent + i);
			iov[i].iov_base = frames[i];
			iov[i].iov_len = vqnet_udp4_build(frames[i], sizeof(frames[i]), &h,
							  payload, plen);
			ASSERT_EQ(vn_frame_len(d->sent + i), iov[i].iov_len);
		}
		r = vqnet_tx_send(self->n, iov, k);
		ASSERT_LE(0, r) {
			TH_LOG("tx: vqnet_tx_send: %s", strerror(-r));
		}
		d->sent += (uint32_t)r;
		d->ring_full = r == 0;
		progress |= r > 0;
	} else {
		r = vqnet_tx_complete(self->n);
		ASSERT_LE(0, r);
	}

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < VN_BATCH; i++) {
		riov[i].iov_base = bufs[i];
		riov[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &riov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &from[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
	}
	r = recvmmsg(self->sock, msgs, VN_BATCH, MSG_DONTWAIT, NULL);
	if (r < 0)
		ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) {
			TH_LOG("tx: recvmmsg: %s", strerror(errno));
		}
	for (i = 0; (int)i < r; i++) {
		int64_t seq;

		ASSERT_EQ(0, msgs[i].msg_hdr.msg_flags & MSG_TRUNC);
		ASSERT_EQ(self->peer, from[i].sin_addr.s_addr);
		ASSERT_EQ(VN_RING_PORT, ntohs(from[i].sin_port));
		seq = vn_check_payload(_metadata, bufs[i], msgs[i].msg_len, d->seen);
		ASSERT_LE(0, seq) {
			TH_LOG("tx: bad frame received by the stack");
		}
		vn_count(d, seq);
	}
	return progress | (r > 0);
}

/*
 * RX: send what the window allows from the UDP socket to the rings'
 * address, then take, check and release what reached the RX ring and
 * give vhost the buffers back.  Returns whether anything moved.
 */
static int vn_rx_step(struct __test_metadata *_metadata, FIXTURE_DATA(vhost_net) *self,
		      struct vn_dir *d)
{
	static uint8_t payloads[VN_BATCH][VN_MAX_FRAME];
	struct sockaddr_in to = {
		.sin_family = AF_INET, .sin_port = htons(VN_RING_PORT),
		.sin_addr.s_addr = self->peer,
	};
	struct iovec iov[VN_BATCH];
	struct mmsghdr msgs[VN_BATCH];
	struct vqnet_frame f;
	uint32_t k = vn_room(d), i;
	int progress = 0, r;

	if (k) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < k; i++) {
			iov[i].iov_base = payloads[i];
			iov[i].iov_len = vn_payload_len(d->sent + i);
			vn_payload(payloads[i], iov[i].iov_len, d->sent + i);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &to;
			msgs[i].msg_hdr.msg_namelen = sizeof(to);
		}
		r = sendmmsg(self->sock, msgs, k, MSG_DONTWAIT);
		if (r < 0)
			ASSERT_TRUE(errno == EAGAIN || errno == ENOBUFS) {
				TH_LOG("rx: sendmmsg: %s", strerror(errno));
			}
		if (r > 0) {
			d->sent += (uint32_t)r;
			progress = 1;
		}
	}

	while ((r = vqnet_rx_take(self->n, &f)) == 1) {
		struct vqnet_udp4 h;
		const uint8_t *p;
		size_t plen;
		int64_t seq;

		r = vqnet_udp4_parse(f.data, f.len, &h, &p, &plen);
		if (r == -EPROTO || (!r && h.dport != VN_RING_PORT)) {
			/* Something the stack sent on its own. */
			d->other++;
			ASSERT_EQ(0, vqnet_rx_release(self->n, &f));
			continue;
		}
		ASSERT_EQ(0, r) {
			TH_LOG("rx: malformed %u-byte frame in the RX ring", f.len);
		}
		ASSERT_EQ(0, memcmp(h.dst_mac, vn_ring_mac, 6));
		ASSERT_EQ(0, memcmp(h.src_mac, self->n->mac, 6));
		ASSERT_EQ(self->local, h.saddr);
		ASSERT_EQ(self->peer, h.daddr);
		ASSERT_EQ(VN_STACK_PORT, h.sport);
		seq = vn_check_payload(_metadata, p, plen, d->seen);
		ASSERT_LE(0, seq) {
			TH_LOG("rx: bad frame in the RX ring");
		}
		ASSERT_EQ(vn_frame_len((uint32_t)seq), f.len);
		vn_count(d, seq);
		progress = 1;
		ASSERT_EQ(0, vqnet_rx_release(self->n, &f));
	}
	ASSERT_EQ(0, r) {
		TH_LOG("rx: vqnet_rx_take: %s", strerror(-r));
	}
	return progress;
}

/*
 * Both directions at once, through the one vhost-net worker that serves
 * both queues.
 */
TEST_F_TIMEOUT(vhost_net, tx_and_rx, 150)
{
	static struct vn_dir tx, rx;
	int64_t start = vn_now_ms(), idle_since = start, tx_ms = 0, rx_ms = 0;
	int r;

	memset(&tx, 0, sizeof(tx));
	memset(&rx, 0, sizeof(rx));

	while (tx.got < VN_FRAMES || rx.got < VN_FRAMES) {
		unsigned int want = 0;
		int progress = 0;

		if (tx.got < VN_FRAMES) {
			progress |= vn_tx_step(_metadata, self, &tx);
			if (tx.got == VN_FRAMES)
				tx_ms = vn_now_ms() - start;
		}
		if (rx.got < VN_FRAMES) {
			progress |= vn_rx_step(_metadata, self, &rx);
			if (rx.got == VN_FRAMES)
				rx_ms = vn_now_ms() - start;
		}
		if (progress) {
			idle_since = vn_now_ms();
			continue;
		}
		ASSERT_GT(VN_STALL_MS, vn_now_ms() - idle_since) {
			TH_LOG("stalled for %d s", VN_STALL_MS / 1000);
			TH_LOG("tx: %u offered, %u received by the stack; frame %lld missing",
			       tx.sent, tx.got, (long long)vn_first_missing(tx.seen));
			TH_LOG("rx: %u sent by the stack, %u in the RX ring; frame %lld missing",
			       rx.sent, rx.got, (long long)vn_first_missing(rx.seen));
		}
		if (rx.got < VN_FRAMES)
			want |= VQNET_READY_RX;
		if (tx.got < VN_FRAMES && tx.ring_full)
			want |= VQNET_READY_TX;
		r = vqnet_wait(self->n, want, tx.got < VN_FRAMES ? self->sock : -1, 1000);
		ASSERT_TRUE(r > 0 || r == -ETIMEDOUT || r == -EAGAIN) {
			TH_LOG("vqnet_wait: %s (vhost-net reported an error on a ring)",
			       strerror(-r));
		}
	}
	EXPECT_LE(0, vqnet_tx_complete(self->n));
	TH_LOG("%d frames each way in %lld ms: tx done after %lld ms (%u out of order), "
	       "rx after %lld ms (%u out of order, %u foreign frames skipped)",
	       VN_FRAMES, (long long)(vn_now_ms() - start), (long long)tx_ms, tx.out_of_order,
	       (long long)rx_ms, rx.out_of_order, rx.other);
}

TEST_HARNESS_MAIN
