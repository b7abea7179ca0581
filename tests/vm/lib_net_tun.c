// SPDX-License-Identifier: GPL-2.0
/*
 * libvqchar's net API on a tun device (L3: IP packets, what overlay
 * networks use), both memory backends, against sockets of the kernel's
 * own stack.  The tun is 10.78.0.1/24 (and, for tun6, fd00:78::1/64);
 * the rings play 10.78.0.2 (fd00:78::2).
 *
 *  udp_both_ways: 1,000 UDP packets of 1..1472 payload bytes each way,
 *	checked byte for byte (by the stack's UDP checksum on the way in,
 *	by comparison on the way out).
 *  tso_to_tcp_socket (and tun6's): a TCP handshake played by hand, then
 *	ONE chain of the family's largest packet (65,535 bytes for IPv4,
 *	65,575 for IPv6) with a TSO4 (TSO6) header, read intact from the
 *	accepted socket.
 *  gso_rx_mergeable (and tun6's): a TCP socket of the stack writes
 *	256 KiB to a connection the rings play; with TSO offered the stack
 *	builds GSO packets larger than the MTU, which arrive whole, each
 *	over several mergeable buffers, with their GSO header, intact.
 *  uso_to_udp_socket: one chain with a UDP_L4 header reaches a UDP socket
 *	as its separate datagrams (skipped where the tun has no USO).
 *  multiqueue: two queue pairs (IFF_MULTI_QUEUE, two vhost-nets), traffic
 *	out of both and into both, polled through the event-loop calls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wclobbered"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#include "lib_net.h"

#define TN_LOCAL	NT_IP(10, 78, 0, 1)
#define TN_PEER		NT_IP(10, 78, 0, 2)
static const uint8_t tn6_local[16] = { 0xfd, 0, 0, 0x78, [15] = 1 };
static const uint8_t tn6_peer[16] = { 0xfd, 0, 0, 0x78, [15] = 2 };
#define TN_STACK_PORT	5555
#define TN_RING_PORT	6666
#define TN_PACKETS	1000
#define TN_BATCH	64
#define TN_MAX_PAYLOAD	1472
#define TN_WAIT_MS	5000
#define TN_MSS		1448
#define TN_MTU		9000
#define TN_RX_BYTES	(256 * 1024)
#define TN_USO_SIZE	1000
#define TN_USO_PAYLOAD	(10 * TN_USO_SIZE + 345)

static size_t tn_payload_len(uint32_t seq)
{
	return 1 + nt_hash(seq * 2 + 1) % TN_MAX_PAYLOAD;
}

static int tn_skip(void)
{
	return access("/dev/vhost-net", F_OK) || access("/dev/net/tun", F_OK);
}

FIXTURE(tun) {
	struct vqchar_net *n;
	int sock;
};

FIXTURE_VARIANT(tun) {
	uint32_t backend;
};

FIXTURE_VARIANT_ADD(tun, anon) {
	.backend = VQCHAR_BACKEND_ANON,
};

FIXTURE_VARIANT_ADD(tun, kernel) {
	.backend = VQCHAR_BACKEND_KERNEL,
};

/* Every offload but USO, which only Linux 6.2 and later have. */
#define TN_FEATURES	(VQCHAR_F_EVENT_IDX | VQCHAR_F_INDIRECT_DESC | VQCHAR_NET_F_CSUM | \
			 VQCHAR_NET_F_GUEST_CSUM | VQCHAR_NET_F_HOST_TSO4 | \
			 VQCHAR_NET_F_HOST_TSO6 | VQCHAR_NET_F_GUEST_TSO4 | \
			 VQCHAR_NET_F_GUEST_TSO6)

/*
 * A fixture's interface: @addr/24 and MTU 9000 (the stack's initial
 * receive window then covers 64 KiB), the offloads above (and HOST_USO
 * where offered), and a UDP socket of the stack on @addr.
 */
static void tn_setup(struct __test_metadata *_metadata, uint32_t backend, const char *ifname,
		     uint32_t addr, struct vqchar_net **n, int *sock)
{
	struct vqchar_net_params p = {
		.backend = backend,
		.flags = VQCHAR_NET_BEST_EFFORT,
		.features = TN_FEATURES | VQCHAR_NET_F_HOST_USO,
		.ifname = ifname,
	};
	int ret;

	*n = NULL;
	*sock = -1;
	if (tn_skip())
		SKIP(return, "no /dev/vhost-net or /dev/net/tun in this kernel");
	ret = nt_open_tun(&p, addr, TN_MTU, n);
	ASSERT_EQ(0, ret) {
		TH_LOG("opening and configuring %s: %s", ifname, strerror(-ret));
	}
	ASSERT_EQ(TN_FEATURES | VQCHAR_NET_F_MRG_RXBUF,
		  vqchar_net_features(*n) & ~VQCHAR_NET_F_HOST_USO);
	*sock = nt_udp_socket(addr, TN_STACK_PORT);
	ASSERT_LE(0, *sock);
}

FIXTURE_SETUP(tun)
{
	tn_setup(_metadata, variant->backend, "vqtun%d", TN_LOCAL, &self->n, &self->sock);
}

FIXTURE_TEARDOWN(tun)
{
	if (self->sock >= 0)
		close(self->sock);
	EXPECT_EQ(0, vqchar_net_close(self->n));
}

/* Wait for @fd to be readable; 0 on time out. */
static int tn_poll_in(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms);
}

TEST_F_TIMEOUT(tun, udp_both_ways, 240)
{
	static uint8_t pkts[TN_BATCH][28 + TN_MAX_PAYLOAD];
	static uint8_t want[TN_MAX_PAYLOAD], got[TN_MAX_PAYLOAD + 1];
	struct vqchar_net_rxpkt rx[TN_BATCH];
	struct iovec iov[TN_BATCH], riov[256];
	struct vqchar_net_pkt tx[TN_BATCH];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(TN_RING_PORT),
				  .sin_addr.s_addr = TN_PEER };
	struct vqchar_net_stats st;
	uint32_t seq, i, other = 0;

	/* TX: the rings send, the stack's socket receives. */
	for (seq = 0; seq < TN_PACKETS; seq += TN_BATCH) {
		uint32_t k = TN_PACKETS - seq < TN_BATCH ? TN_PACKETS - seq : TN_BATCH;

		for (i = 0; i < k; i++) {
			size_t len = tn_payload_len(seq + i);

			nt_fill(pkts[i] + 28, len, seq + i);
			iov[i].iov_base = pkts[i];
			iov[i].iov_len = nt_udp4(pkts[i], TN_PEER, TN_LOCAL, TN_RING_PORT,
						 TN_STACK_PORT, len, (uint16_t)(seq + i));
			tx[i] = (struct vqchar_net_pkt){ .iov = &iov[i], .iov_cnt = 1 };
		}
		ASSERT_EQ(0, nt_send_all(self->n, 0, tx, k, TN_WAIT_MS));
		for (i = 0; i < k; i++) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t r;

			ASSERT_LT(0, tn_poll_in(self->sock, TN_WAIT_MS)) {
				TH_LOG("tx: packet %u never reached the socket", seq + i);
			}
			r = recvfrom(self->sock, got, sizeof(got), 0, (struct sockaddr *)&from, &fl);
			ASSERT_EQ((ssize_t)tn_payload_len(seq + i), r);
			nt_fill(want, (size_t)r, seq + i);
			ASSERT_EQ(0, memcmp(want, got, (size_t)r)) {
				TH_LOG("tx: packet %u differs", seq + i);
			}
			ASSERT_EQ(TN_PEER, from.sin_addr.s_addr);
		}
	}

	/* RX: the stack's socket sends, the rings receive. */
	for (seq = 0; seq < TN_PACKETS; seq += TN_BATCH) {
		uint32_t k = TN_PACKETS - seq < TN_BATCH ? TN_PACKETS - seq : TN_BATCH, n = 0;

		for (i = 0; i < k; i++) {
			size_t len = tn_payload_len(seq + i);

			nt_fill(pkts[i], len, seq + i);
			ASSERT_EQ((ssize_t)len, sendto(self->sock, pkts[i], len, 0,
						       (struct sockaddr *)&to, sizeof(to)));
		}
		while (n < k) {
			int r = vqchar_net_recv(self->n, 0, rx, TN_BATCH, riov, 256);

			ASSERT_LE(0, r);
			if (!r) {
				r = vqchar_net_wait(self->n, 0, VQCHAR_NET_RX, TN_WAIT_MS);
				ASSERT_EQ(VQCHAR_NET_RX, r) {
					TH_LOG("rx: waiting for packet %u: %s", seq + n, strerror(-r));
				}
				continue;
			}
			for (i = 0; i < (uint32_t)r; i++) {
				static uint8_t flat[65536];
				struct nt_ip_info in;
				size_t len = nt_gather(&rx[i], flat, sizeof(flat));

				/*
				 * Skip what the stack sends on its own, such as the
				 * retransmitted FIN of an earlier test's connection.
				 */
				if (nt_parse_ip4(flat, len, &in) || in.proto != IPPROTO_UDP) {
					other++;
					continue;
				}
				ASSERT_EQ(TN_LOCAL, in.saddr);
				ASSERT_EQ(TN_PEER, in.daddr);
				ASSERT_EQ(TN_STACK_PORT, in.sport);
				ASSERT_EQ(TN_RING_PORT, in.dport);
				ASSERT_EQ(tn_payload_len(seq + n), in.payload_len) {
					TH_LOG("rx: packet %u", seq + n);
				}
				nt_fill(want, in.payload_len, seq + n);
				ASSERT_EQ(0, memcmp(want, in.payload, in.payload_len)) {
					TH_LOG("rx: packet %u differs", seq + n);
				}
				n++;
			}
			ASSERT_EQ(0, vqchar_net_recv_done(self->n, 0, rx, (unsigned int)r));
		}
	}
	ASSERT_EQ(0, vqchar_net_get_stats(self->n, 0, &st));
	EXPECT_EQ(TN_PACKETS, st.tx_packets);
	EXPECT_EQ(TN_PACKETS + other, st.rx_packets);
	TH_LOG("tx %llu kicks, %llu calls; rx %llu kicks, %llu calls for %d packets each way",
	       (unsigned long long)st.tx_kicks, (unsigned long long)st.tx_calls,
	       (unsigned long long)st.rx_kicks, (unsigned long long)st.rx_calls, TN_PACKETS);
}

/* Zero copy: packets written straight into pool buffers, then sent. */
TEST_F_TIMEOUT(tun, zero_copy_udp, 120)
{
	static uint8_t want[TN_MAX_PAYLOAD], got[TN_MAX_PAYLOAD + 1];
	struct vqchar_net_txbuf bufs[TN_BATCH];
	uint32_t seq, i;

	for (seq = 0; seq < 512; seq += TN_BATCH) {
		int k = 0, r;

		while (k == 0) {
			k = vqchar_net_tx_get(self->n, 0, bufs, TN_BATCH);
			ASSERT_LE(0, k);
			if (!k)
				ASSERT_LT(0, vqchar_net_wait(self->n, 0, VQCHAR_NET_TX, TN_WAIT_MS));
		}
		for (i = 0; i < (uint32_t)k; i++) {
			size_t len = tn_payload_len(seq + i);

			ASSERT_EQ(0, bufs[i].hdr->flags);	/* zeroed */
			ASSERT_LE(28 + len, bufs[i].cap);
			nt_fill((uint8_t *)bufs[i].data + 28, len, seq + i);
			bufs[i].len = (uint32_t)nt_udp4(bufs[i].data, TN_PEER, TN_LOCAL, TN_RING_PORT,
							TN_STACK_PORT, len, (uint16_t)(seq + i));
		}
		r = vqchar_net_send_bufs(self->n, 0, bufs, (unsigned int)k, 0);
		ASSERT_EQ(k, r);
		for (i = 0; i < (uint32_t)k; i++) {
			ssize_t n;

			ASSERT_LT(0, tn_poll_in(self->sock, TN_WAIT_MS));
			n = recv(self->sock, got, sizeof(got), 0);
			ASSERT_EQ((ssize_t)tn_payload_len(seq + i), n);
			nt_fill(want, (size_t)n, seq + i);
			ASSERT_EQ(0, memcmp(want, got, (size_t)n)) {
				TH_LOG("zero copy: packet %u differs", seq + i);
			}
		}
		seq -= TN_BATCH - (uint32_t)k;	/* fewer buffers than asked: go on from there */
	}
}

/* The rings' end of a TCP connection to the stack's @stack_port. */
static struct nt_tcp_flow tn_flow(int family, uint16_t ring_port, uint16_t stack_port)
{
	struct nt_tcp_flow f = {
		.family = family,
		.ring_port = ring_port,
		.stack_port = stack_port,
		.mss = 1460,
		.ring_seq = 1000,
	};
	uint32_t ring = TN_PEER, stack = TN_LOCAL;

	if (family == AF_INET6) {
		memcpy(f.ring, tn6_peer, 16);
		memcpy(f.stack, tn6_local, 16);
	} else {
		memcpy(f.ring, &ring, 4);
		memcpy(f.stack, &stack, 4);
	}
	return f;
}

/*
 * After a handshake, ONE chain of the family's largest packet (an IP
 * length field of 65,535) with a TSO header: the accepted socket reads
 * every payload byte.
 */
static void tn_tso_tx(struct __test_metadata *_metadata, struct vqchar_net *n,
		      struct nt_tcp_flow *f, uint8_t gso_type)
{
	static uint8_t payload[65536], got[65536];
	struct vqchar_net_hdr hdr = nt_tcp_csum_hdr(f);
	size_t got_len = 0;
	/* IPv4's length field counts the IP header, IPv6's does not. */
	size_t len = f->family == AF_INET6 ? 65535 - 20 : 65535 - 40;
	struct vqchar_net_pkt pkt;
	struct iovec iov[2];
	uint8_t hdrs[64];
	int lsock, csock;

	lsock = nt_tcp_listen(f->family, f->stack, f->stack_port);
	ASSERT_LE(0, lsock);
	csock = nt_tcp_connect(n, f, lsock, TN_WAIT_MS);
	ASSERT_LE(0, csock) {
		TH_LOG("handshake: %s", strerror(-csock));
	}

	nt_fill(payload, len, 77);
	hdr.gso_type = gso_type;
	hdr.gso_size = htole16(TN_MSS);
	iov[0].iov_base = hdrs;
	iov[0].iov_len = nt_tcp_hdr(f, hdrs, NT_ACK | NT_PSH, len, 0);
	hdr.hdr_len = htole16((uint16_t)iov[0].iov_len);
	iov[1].iov_base = payload;
	iov[1].iov_len = len;
	ASSERT_EQ(f->family == AF_INET6 ? 40 + 65535 : 65535, iov[0].iov_len + iov[1].iov_len);
	pkt = (struct vqchar_net_pkt){ .hdr = &hdr, .iov = iov, .iov_cnt = 2 };
	ASSERT_EQ(1, vqchar_net_send(n, 0, &pkt, 1, 0));

	while (got_len < len) {
		ssize_t r;

		ASSERT_LT(0, tn_poll_in(csock, TN_WAIT_MS)) {
			TH_LOG("the socket has %zu of %zu bytes", got_len, len);
		}
		r = read(csock, got + got_len, len - got_len);
		ASSERT_LT(0, r);
		got_len += (size_t)r;
	}
	ASSERT_EQ(0, memcmp(payload, got, len));
	nt_tcp_abort(csock);
	close(lsock);
}

/*
 * The stack's TCP socket writes TN_RX_BYTES to a connection the rings
 * play (SYN offering the MTU's MSS, ACKs as data comes).  With TSO on the
 * tun the stack builds packets of several segments, which must arrive
 * whole: one GSO header (type, size, partial checksum) and the packet
 * over as many mergeable buffers as it needs, every byte in order.
 */
static void tn_gso_rx(struct __test_metadata *_metadata, struct vqchar_net *n,
		      struct nt_tcp_flow *f, uint8_t gso_type)
{
	static uint8_t want[TN_RX_BYTES], flat[65536 + 128];
	size_t iph = nt_flow_ip_hlen(f), written = 0, got = 0, largest = 0;
	unsigned int gso_pkts = 0, most_bufs = 0, plain = 0;
	int64_t end;
	int lsock, csock;

	f->mss = (uint16_t)(TN_MTU - iph - 20);
	lsock = nt_tcp_listen(f->family, f->stack, f->stack_port);
	ASSERT_LE(0, lsock);
	csock = nt_tcp_connect(n, f, lsock, TN_WAIT_MS);
	ASSERT_LE(0, csock) {
		TH_LOG("handshake: %s", strerror(-csock));
	}
	nt_fill(want, sizeof(want), 55);
	end = nt_now_ms() + 60000;
	while (got < sizeof(want) && nt_now_ms() < end) {
		struct vqchar_net_rxpkt meta;
		struct nt_ip_info in;
		int r;

		if (written < sizeof(want)) {
			ssize_t w = send(csock, want + written, sizeof(want) - written,
					 MSG_DONTWAIT);

			ASSERT_TRUE(w > 0 || errno == EAGAIN);
			written += w > 0 ? (size_t)w : 0;
		}
		r = nt_recv_flow(n, f, flat, sizeof(flat), &in, &meta, 1000);
		if (r == -ETIMEDOUT) {
			ASSERT_EQ(0, nt_tcp_ack(n, f, TN_WAIT_MS));
			continue;
		}
		ASSERT_EQ(0, r);
		ASSERT_EQ(0, in.l4[13] & (NT_RST | NT_FIN | NT_SYN));
		if (!in.payload_len)
			continue;
		if (nt_get32(in.l4 + 4) != f->stack_seq) {
			/* A retransmission or a gap after a drop: ack where we are. */
			ASSERT_EQ(0, nt_tcp_ack(n, f, TN_WAIT_MS));
			continue;
		}
		ASSERT_GE(sizeof(want) - got, in.payload_len);
		ASSERT_EQ(0, memcmp(want + got, in.payload, in.payload_len)) {
			TH_LOG("stream bytes %zu..%zu differ", got, got + in.payload_len);
		}
		EXPECT_EQ(iph + in.l4_len, meta.len);
		EXPECT_EQ(meta.nr_iov, le16toh(meta.hdr.num_buffers));
		if (meta.hdr.gso_type == VQCHAR_NET_GSO_NONE) {
			plain++;
		} else {
			/* One packet of several segments, as the stack built it. */
			gso_pkts++;
			EXPECT_EQ(gso_type, meta.hdr.gso_type & ~VQCHAR_NET_GSO_ECN);
			EXPECT_EQ(f->mss, le16toh(meta.hdr.gso_size));
			EXPECT_LT(f->mss, in.payload_len);
			EXPECT_LT(TN_MTU, meta.len);
			EXPECT_EQ(VQCHAR_NET_HDR_F_NEEDS_CSUM,
				  meta.hdr.flags & VQCHAR_NET_HDR_F_NEEDS_CSUM);
			EXPECT_EQ(iph, le16toh(meta.hdr.csum_start));
			EXPECT_EQ(16, le16toh(meta.hdr.csum_offset));
			/* The partial sum each segment's checksum is finished from. */
			EXPECT_EQ(nt_fold(nt_pseudo_of(&in)), nt_get16(in.l4 + 16));
			EXPECT_LE((meta.len + VQCHAR_NET_HDR_LEN + VQCHAR_NET_DEFAULT_BUF - 1) /
				  VQCHAR_NET_DEFAULT_BUF, meta.nr_iov);
			if (meta.len > largest)
				largest = meta.len;
			if (meta.nr_iov > most_bufs)
				most_bufs = meta.nr_iov;
		}
		got += in.payload_len;
		f->stack_seq += (uint32_t)in.payload_len;
		ASSERT_EQ(0, nt_tcp_ack(n, f, TN_WAIT_MS));
	}
	TH_LOG("%zu bytes: %u GSO packets (largest %zu bytes in %u buffers), %u plain",
	       got, gso_pkts, largest, most_bufs, plain);
	ASSERT_EQ(sizeof(want), got);
	ASSERT_LT(0, gso_pkts) {
		TH_LOG("the stack sent no GSO packet: TSO off on the tun?");
	}
	nt_tcp_abort(csock);
	close(lsock);
}

TEST_F_TIMEOUT(tun, tso_to_tcp_socket, 120)
{
	/* Ports of their own: the other variant's connection may linger. */
	struct nt_tcp_flow f = tn_flow(AF_INET, (uint16_t)(40000 + variant->backend),
				       (uint16_t)(7000 + variant->backend));

	tn_tso_tx(_metadata, self->n, &f, VQCHAR_NET_GSO_TCPV4);
}

TEST_F_TIMEOUT(tun, gso_rx_mergeable, 180)
{
	struct nt_tcp_flow f = tn_flow(AF_INET, (uint16_t)(41000 + variant->backend),
				       (uint16_t)(7100 + variant->backend));

	tn_gso_rx(_metadata, self->n, &f, VQCHAR_NET_GSO_TCPV4);
}

/*
 * USO: one chain of TN_USO_PAYLOAD bytes with a UDP_L4 header and a
 * partial checksum; the UDP socket reads it as separate datagrams of
 * TN_USO_SIZE (the last shorter), each intact, and nothing more.
 */
TEST_F_TIMEOUT(tun, uso_to_udp_socket, 120)
{
	static uint8_t pkt[28 + TN_USO_PAYLOAD], got[TN_USO_PAYLOAD + 1];
	struct vqchar_net_hdr hdr = {
		.flags = VQCHAR_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VQCHAR_NET_GSO_UDP_L4,
		.hdr_len = htole16(28),
		.gso_size = htole16(TN_USO_SIZE),
		.csum_start = htole16(20),
		.csum_offset = htole16(6),
	};
	struct iovec iov = { pkt, 0 };
	struct vqchar_net_pkt tx = { .hdr = &hdr, .iov = &iov, .iov_cnt = 1 };
	size_t off;

	if (!(vqchar_net_features(self->n) & VQCHAR_NET_F_HOST_USO))
		SKIP(return, "the tun takes no UDP segmentation offload (TUN_F_USO4/6 came in Linux 6.2)");
	nt_fill(pkt + 28, TN_USO_PAYLOAD, 88);
	iov.iov_len = nt_udp4(pkt, TN_PEER, TN_LOCAL, TN_RING_PORT, TN_STACK_PORT,
			      TN_USO_PAYLOAD, 1);
	nt_put16(pkt + 26, nt_fold(nt_pseudo(TN_PEER, TN_LOCAL, IPPROTO_UDP,
					     8 + TN_USO_PAYLOAD)));
	ASSERT_EQ(1, vqchar_net_send(self->n, 0, &tx, 1, 0));
	for (off = 0; off < TN_USO_PAYLOAD; off += TN_USO_SIZE) {
		size_t want = TN_USO_PAYLOAD - off < TN_USO_SIZE ? TN_USO_PAYLOAD - off :
								   TN_USO_SIZE;
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r;

		ASSERT_LT(0, tn_poll_in(self->sock, TN_WAIT_MS)) {
			TH_LOG("datagram at byte %zu never came", off);
		}
		r = recvfrom(self->sock, got, sizeof(got), 0, (struct sockaddr *)&from, &fl);
		ASSERT_EQ((ssize_t)want, r) {
			TH_LOG("datagram at byte %zu", off);
		}
		ASSERT_EQ(0, memcmp(pkt + 28 + off, got, want));
		ASSERT_EQ(TN_PEER, from.sin_addr.s_addr);
		ASSERT_EQ(TN_RING_PORT, ntohs(from.sin_port));
	}
	EXPECT_EQ(0, tn_poll_in(self->sock, 200));
}

/* ---- IPv6 ---- */

#define TN6_LOCAL4	NT_IP(10, 80, 0, 1)

FIXTURE(tun6) {
	struct vqchar_net *n;
	int sock;
};

FIXTURE_VARIANT(tun6) {
	uint32_t backend;
};

FIXTURE_VARIANT_ADD(tun6, anon) {
	.backend = VQCHAR_BACKEND_ANON,
};

FIXTURE_VARIANT_ADD(tun6, kernel) {
	.backend = VQCHAR_BACKEND_KERNEL,
};

FIXTURE_SETUP(tun6)
{
	int ret;

	self->n = NULL;
	self->sock = -1;
	if (access("/proc/sys/net/ipv6", F_OK))
		SKIP(return, "no IPv6 in this kernel");
	tn_setup(_metadata, variant->backend, "vq6tun%d", TN6_LOCAL4, &self->n, &self->sock);
	ret = nt_if_setup6(vqchar_net_ifname(self->n), tn6_local, 64);
	ASSERT_EQ(0, ret) {
		TH_LOG("IPv6 on %s: %s", vqchar_net_ifname(self->n), strerror(-ret));
	}
}

FIXTURE_TEARDOWN(tun6)
{
	if (self->sock >= 0)
		close(self->sock);
	EXPECT_EQ(0, vqchar_net_close(self->n));
}

TEST_F_TIMEOUT(tun6, tso_to_tcp_socket, 120)
{
	struct nt_tcp_flow f = tn_flow(AF_INET6, (uint16_t)(42000 + variant->backend),
				       (uint16_t)(7200 + variant->backend));

	tn_tso_tx(_metadata, self->n, &f, VQCHAR_NET_GSO_TCPV6);
}

TEST_F_TIMEOUT(tun6, gso_rx_mergeable, 180)
{
	struct nt_tcp_flow f = tn_flow(AF_INET6, (uint16_t)(43000 + variant->backend),
				       (uint16_t)(7300 + variant->backend));

	tn_gso_rx(_metadata, self->n, &f, VQCHAR_NET_GSO_TCPV6);
}

/* ---- two queue pairs ---- */

#define MQ_LOCAL	NT_IP(10, 79, 0, 1)
#define MQ_PEER		NT_IP(10, 79, 0, 2)
#define MQ_FLOWS	64
#define MQ_PER_FLOW	4

FIXTURE(mq) {
	struct vqchar_net *n;
	int sock;
};

FIXTURE_VARIANT(mq) {
	uint32_t backend;
};

FIXTURE_VARIANT_ADD(mq, anon) {
	.backend = VQCHAR_BACKEND_ANON,
};

FIXTURE_VARIANT_ADD(mq, kernel) {
	.backend = VQCHAR_BACKEND_KERNEL,
};

FIXTURE_SETUP(mq)
{
	struct vqchar_net_params p = {
		.backend = variant->backend,
		.pairs = 2,
		.features = VQCHAR_F_EVENT_IDX,
		.ifname = "vqmq%d",
	};
	int ret;

	self->n = NULL;
	self->sock = -1;
	if (tn_skip())
		SKIP(return, "no /dev/vhost-net or /dev/net/tun in this kernel");
	ret = nt_open_tun(&p, MQ_LOCAL, 0, &self->n);
	ASSERT_EQ(0, ret) {
		TH_LOG("opening and configuring vqmq: %s", strerror(-ret));
	}
	ASSERT_EQ(2, vqchar_net_pairs(self->n));
	ASSERT_NE(vqchar_net_vhost_fd(self->n, 0), vqchar_net_vhost_fd(self->n, 1));
	self->sock = nt_udp_socket(MQ_LOCAL, TN_STACK_PORT);
	ASSERT_LE(0, self->sock);
}

FIXTURE_TEARDOWN(mq)
{
	if (self->sock >= 0)
		close(self->sock);
	EXPECT_EQ(0, vqchar_net_close(self->n));
}

TEST_F_TIMEOUT(mq, two_pairs, 120)
{
	static uint8_t pkts[2][32][28 + 64], buf[128];
	struct struct_pairs { struct iovec iov[32]; struct vqchar_net_pkt tx[32]; } pr[2];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = MQ_PEER };
	unsigned int from_pair[2] = { 0, 0 }, got[2] = { 0, 0 }, total = 0, pair, i;
	int64_t end;

	/* Out of both pairs: pair i sends from port 6000 + i. */
	for (pair = 0; pair < 2; pair++) {
		for (i = 0; i < 32; i++) {
			nt_fill(pkts[pair][i] + 28, 64, pair * 100 + i);
			pr[pair].iov[i].iov_base = pkts[pair][i];
			pr[pair].iov[i].iov_len = nt_udp4(pkts[pair][i], MQ_PEER, MQ_LOCAL,
							  (uint16_t)(6000 + pair), TN_STACK_PORT, 64,
							  (uint16_t)i);
			pr[pair].tx[i] = (struct vqchar_net_pkt){ .iov = &pr[pair].iov[i],
								  .iov_cnt = 1 };
		}
		ASSERT_EQ(0, nt_send_all(self->n, pair, pr[pair].tx, 32, TN_WAIT_MS));
	}
	for (i = 0; i < 64; i++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);

		ASSERT_LT(0, tn_poll_in(self->sock, TN_WAIT_MS));
		ASSERT_EQ(64, recvfrom(self->sock, buf, sizeof(buf), 0, (struct sockaddr *)&from,
				       &fl));
		pair = ntohs(from.sin_port) - 6000;
		ASSERT_GT(2, pair);
		from_pair[pair]++;
	}
	EXPECT_EQ(32, from_pair[0]);
	EXPECT_EQ(32, from_pair[1]);

	/* Into both: the tun spreads flows over its queues by hash. */
	for (i = 0; i < MQ_FLOWS * MQ_PER_FLOW; i++) {
		to.sin_port = htons((uint16_t)(7000 + i % MQ_FLOWS));
		ASSERT_EQ(16, sendto(self->sock, buf, 16, 0, (struct sockaddr *)&to, sizeof(to)));
	}
	end = nt_now_ms() + 2 * TN_WAIT_MS;
	while (total < MQ_FLOWS * MQ_PER_FLOW && nt_now_ms() < end) {
		struct pollfd pfd[2];
		int armed = 0;

		for (pair = 0; pair < 2; pair++) {
			struct vqchar_net_rxpkt rx[16];
			struct iovec iov[64];
			int r = vqchar_net_recv(self->n, pair, rx, 16, iov, 64);

			ASSERT_LE(0, r);
			for (i = 0; i < (unsigned int)r; i++) {
				struct nt_ip_info in;
				size_t len = nt_gather(&rx[i], buf, sizeof(buf));

				if (nt_parse_ip4(buf, len, &in) || in.proto != IPPROTO_UDP ||
				    in.dport < 7000 || in.dport >= 7000 + MQ_FLOWS)
					continue;
				got[pair]++;
				total++;
			}
			ASSERT_EQ(0, vqchar_net_recv_done(self->n, pair, rx, (unsigned int)r));
		}
		/* The event-loop way: arm both, poll both fds. */
		for (pair = 0; pair < 2; pair++) {
			int r = vqchar_net_arm(self->n, pair, VQCHAR_NET_RX);

			ASSERT_LE(0, r);
			armed |= r;
			pfd[pair] = (struct pollfd){ .fd = vqchar_net_fd(self->n, pair, VQCHAR_NET_RX),
						     .events = POLLIN };
		}
		if (!armed && total < MQ_FLOWS * MQ_PER_FLOW)
			poll(pfd, 2, 1000);
	}
	TH_LOG("pair 0 received %u packets, pair 1 %u", got[0], got[1]);
	EXPECT_EQ(MQ_FLOWS * MQ_PER_FLOW, total);
	EXPECT_LT(0, got[0]);
	EXPECT_LT(0, got[1]);
}

TEST_HARNESS_MAIN
