// SPDX-License-Identifier: GPL-2.0
/*
 * libvqchar's net API on a tun device (L3: IP packets, what overlay
 * networks use), both memory backends, against sockets of the kernel's
 * own stack.  The tun is 10.78.0.1/24; the rings play 10.78.0.2.
 *
 *  udp_both_ways: 1,000 UDP packets of 1..1472 payload bytes each way,
 *	checked byte for byte (by the stack's UDP checksum on the way in,
 *	by comparison on the way out).
 *  tso_to_tcp_socket: a TCP handshake played by hand, then ONE chain of
 *	65,535 bytes (IPv4 maximum: 65,495 payload bytes) with a TSO4
 *	header, read intact from the accepted socket.
 *  gso_rx_mergeable: the stack hands the tun a 65,535-byte TSO packet
 *	(through an AF_PACKET socket with PACKET_VNET_HDR); it arrives whole,
 *	in mergeable buffers, with its GSO header.
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
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
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
#define TN_STACK_PORT	5555
#define TN_RING_PORT	6666
#define TN_PACKETS	1000
#define TN_BATCH	64
#define TN_MAX_PAYLOAD	1472
#define TN_WAIT_MS	5000
#define TN_GSO_TOTAL	65535			/* IPv4 total length */
#define TN_GSO_PAYLOAD	(TN_GSO_TOTAL - 40)
#define TN_MSS		1448

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

FIXTURE_SETUP(tun)
{
	struct vqchar_net_params p = {
		.backend = variant->backend,
		.features = VQCHAR_F_EVENT_IDX | VQCHAR_F_INDIRECT_DESC | VQCHAR_NET_F_CSUM |
			    VQCHAR_NET_F_GUEST_CSUM | VQCHAR_NET_F_HOST_TSO4 |
			    VQCHAR_NET_F_HOST_TSO6 | VQCHAR_NET_F_GUEST_TSO4 |
			    VQCHAR_NET_F_GUEST_TSO6,
		.ifname = "vqtun%d",
	};
	int ret;

	self->n = NULL;
	self->sock = -1;
	if (tn_skip())
		SKIP(return, "no /dev/vhost-net or /dev/net/tun in this kernel");
	ret = vqchar_net_open(&p, &self->n);
	ASSERT_EQ(0, ret) {
		TH_LOG("vqchar_net_open: %s", strerror(-ret));
	}
	ASSERT_EQ(p.features | VQCHAR_NET_F_MRG_RXBUF, vqchar_net_features(self->n));
	/* MTU 9000: the stack's initial receive window then covers 64 KiB. */
	ret = nt_if_setup(vqchar_net_ifname(self->n), TN_LOCAL, 24, 9000);
	ASSERT_EQ(0, ret) {
		TH_LOG("configuring %s: %s", vqchar_net_ifname(self->n), strerror(-ret));
	}
	self->sock = nt_udp_socket(TN_LOCAL, TN_STACK_PORT);
	ASSERT_LE(0, self->sock);
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

/* Receive until a TCP packet @sport -> @dport arrives; returns its info in @in. */
static int tn_recv_tcp(struct vqchar_net *n, uint16_t sport, uint16_t dport, uint8_t *flat,
		       size_t cap, struct nt_ip_info *in)
{
	int64_t end = nt_now_ms() + TN_WAIT_MS;

	while (nt_now_ms() < end) {
		struct vqchar_net_rxpkt rx[8];
		struct iovec iov[256];
		int r = vqchar_net_recv(n, 0, rx, 8, iov, 256), i, found = 0;

		if (r < 0)
			return r;
		if (!r) {
			r = vqchar_net_wait(n, 0, VQCHAR_NET_RX, 1000);
			if (r < 0 && r != -ETIMEDOUT)
				return r;
			continue;
		}
		for (i = 0; i < r && !found; i++) {
			size_t len = nt_gather(&rx[i], flat, cap);

			if (!nt_parse_ip4(flat, len, in) && in->proto == IPPROTO_TCP &&
			    in->sport == sport && in->dport == dport)
				found = 1;
		}
		vqchar_net_recv_done(n, 0, rx, (unsigned int)r);
		if (found)
			return 0;
	}
	return -ETIMEDOUT;
}

TEST_F_TIMEOUT(tun, tso_to_tcp_socket, 120)
{
	/* Ports of their own: the other variant's connection may linger. */
	uint16_t sport = (uint16_t)(7000 + variant->backend);
	uint16_t cport = (uint16_t)(40000 + variant->backend);
	static uint8_t flat[65536], payload[TN_GSO_PAYLOAD], got[TN_GSO_PAYLOAD];
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = TN_LOCAL };
	struct vqchar_net_hdr hdr = {
		.flags = VQCHAR_NET_HDR_F_NEEDS_CSUM,
		.csum_start = htole16(20),
		.csum_offset = htole16(16),
	};
	uint8_t syn[64], ack[64], hdrs[64];
	struct vqchar_net_pkt pkt;
	struct nt_ip_info in;
	struct iovec iov[2];
	uint32_t server_seq;
	size_t got_len = 0;
	int lsock, csock, size = 1 << 20, one = 1;

	addr.sin_port = htons(sport);
	lsock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, lsock);
	ASSERT_EQ(0, setsockopt(lsock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(lsock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)));
	ASSERT_EQ(0, bind(lsock, (struct sockaddr *)&addr, sizeof(addr)));
	ASSERT_EQ(0, listen(lsock, 1));

	/* SYN with a full checksum and no header ... */
	iov[0].iov_base = syn;
	iov[0].iov_len = nt_tcp4(syn, TN_PEER, TN_LOCAL, cport, sport, 1000, 0, NT_SYN, 0, 1);
	pkt = (struct vqchar_net_pkt){ .iov = iov, .iov_cnt = 1 };
	ASSERT_EQ(0, nt_send_all(self->n, 0, &pkt, 1, TN_WAIT_MS));
	ASSERT_EQ(0, tn_recv_tcp(self->n, sport, cport, flat, sizeof(flat), &in));
	ASSERT_EQ(NT_SYN | NT_ACK, in.l4[13] & (NT_SYN | NT_ACK | NT_RST));
	ASSERT_EQ(1001, nt_get32(in.l4 + 8));
	server_seq = nt_get32(in.l4 + 4);

	/* ... the ACK with a partial one (NEEDS_CSUM) ... */
	iov[0].iov_base = ack;
	iov[0].iov_len = nt_tcp4(ack, TN_PEER, TN_LOCAL, cport, sport, 1001, server_seq + 1,
				 NT_ACK, 0, 0);
	pkt = (struct vqchar_net_pkt){ .hdr = &hdr, .iov = iov, .iov_cnt = 1 };
	ASSERT_EQ(0, nt_send_all(self->n, 0, &pkt, 1, TN_WAIT_MS));
	ASSERT_LT(0, tn_poll_in(lsock, TN_WAIT_MS));
	csock = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, csock);

	/* ... and 64 KiB in one chain that the tun segments as TSO. */
	nt_fill(payload, sizeof(payload), 77);
	hdr.gso_type = VQCHAR_NET_GSO_TCPV4;
	hdr.gso_size = htole16(TN_MSS);
	hdr.hdr_len = htole16(40);
	iov[0].iov_base = hdrs;
	iov[0].iov_len = nt_tcp4(hdrs, TN_PEER, TN_LOCAL, cport, sport, 1001, server_seq + 1,
				 NT_ACK | NT_PSH, sizeof(payload), 0);
	iov[1].iov_base = payload;
	iov[1].iov_len = sizeof(payload);
	ASSERT_EQ(TN_GSO_TOTAL, iov[0].iov_len + iov[1].iov_len);
	pkt = (struct vqchar_net_pkt){ .hdr = &hdr, .iov = iov, .iov_cnt = 2 };
	ASSERT_EQ(1, vqchar_net_send(self->n, 0, &pkt, 1, 0));

	while (got_len < sizeof(got)) {
		ssize_t r;

		ASSERT_LT(0, tn_poll_in(csock, TN_WAIT_MS)) {
			TH_LOG("the socket has %zu of %zu bytes", got_len, sizeof(got));
		}
		r = read(csock, got + got_len, sizeof(got) - got_len);
		ASSERT_LT(0, r);
		got_len += (size_t)r;
	}
	ASSERT_EQ(0, memcmp(payload, got, sizeof(got)));
	close(csock);
	close(lsock);
}

TEST_F_TIMEOUT(tun, gso_rx_mergeable, 120)
{
	static uint8_t frame[10 + TN_GSO_TOTAL], flat[65536];
	struct virtio_net_hdr *vh = (struct virtio_net_hdr *)frame;
	uint8_t *ip = frame + sizeof(*vh);
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = vqchar_net_ifindex(self->n),
	};
	struct vqchar_net_rxpkt rx[4];
	struct iovec iov[256];
	struct nt_ip_info in;
	int64_t end = nt_now_ms() + TN_WAIT_MS;
	int ps, one = 1, r, i, found = 0;

	ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, ps);
	ASSERT_EQ(0, setsockopt(ps, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)));
	memset(vh, 0, sizeof(*vh));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh->hdr_len = 40;
	vh->gso_size = TN_MSS;
	vh->csum_start = 20;
	vh->csum_offset = 16;
	nt_fill(ip + 40, TN_GSO_PAYLOAD, 99);
	nt_tcp4(ip, TN_LOCAL, TN_PEER, 7100, 41000, 5000, 1, NT_ACK, TN_GSO_PAYLOAD, 0);
	ASSERT_EQ((ssize_t)sizeof(frame), sendto(ps, frame, sizeof(frame), 0,
						 (struct sockaddr *)&sll, sizeof(sll))) {
		TH_LOG("AF_PACKET sendto: %s", strerror(errno));
	}
	close(ps);

	while (!found && nt_now_ms() < end) {
		r = vqchar_net_recv(self->n, 0, rx, 4, iov, vqchar_net_rx_max_segs(self->n));
		ASSERT_LE(0, r);
		if (!r) {
			r = vqchar_net_wait(self->n, 0, VQCHAR_NET_RX, 1000);
			ASSERT_TRUE(r == VQCHAR_NET_RX || r == -ETIMEDOUT);
			continue;
		}
		for (i = 0; i < r; i++) {
			size_t len = nt_gather(&rx[i], flat, sizeof(flat));

			if (nt_parse_ip4(flat, len, &in) || in.sport != 7100 || in.dport != 41000)
				continue;
			found = 1;
			/* Whole, with its GSO header, spread over mergeable buffers. */
			EXPECT_EQ(TN_GSO_TOTAL, rx[i].len);
			EXPECT_EQ(VQCHAR_NET_GSO_TCPV4, rx[i].hdr.gso_type & ~VQCHAR_NET_GSO_ECN);
			EXPECT_EQ(TN_MSS, le16toh(rx[i].hdr.gso_size));
			EXPECT_EQ(VQCHAR_NET_HDR_F_NEEDS_CSUM, rx[i].hdr.flags);
			EXPECT_EQ(20, le16toh(rx[i].hdr.csum_start));
			EXPECT_EQ(16, le16toh(rx[i].hdr.csum_offset));
			EXPECT_EQ(rx[i].nr_iov, le16toh(rx[i].hdr.num_buffers));
			EXPECT_LE((TN_GSO_TOTAL + 12 + 2047) / 2048, rx[i].nr_iov);
			EXPECT_EQ(0, memcmp(ip, flat, TN_GSO_TOTAL));
		}
		ASSERT_EQ(0, vqchar_net_recv_done(self->n, 0, rx, (unsigned int)r));
	}
	ASSERT_TRUE(found) {
		TH_LOG("the 64 KiB GSO packet never reached the RX queue");
	}
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
	ret = vqchar_net_open(&p, &self->n);
	ASSERT_EQ(0, ret) {
		TH_LOG("vqchar_net_open: %s", strerror(-ret));
	}
	ASSERT_EQ(2, vqchar_net_pairs(self->n));
	ASSERT_NE(vqchar_net_vhost_fd(self->n, 0), vqchar_net_vhost_fd(self->n, 1));
	ASSERT_EQ(0, nt_if_setup(vqchar_net_ifname(self->n), MQ_LOCAL, 24, 0));
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
