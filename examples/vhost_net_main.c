// SPDX-License-Identifier: MIT
/*
 * vhost_net: a short tour of vqnet (vhost_net.h) over libvqchar's net API.
 * Two libvqchar queues are handed to one vhost-net instance, which moves
 * frames between them and a tap device.  The program sends a few UDP
 * frames from the TX ring into the kernel's network stack, then has the
 * stack send a few datagrams back out of the tap into the RX ring, and
 * says what happened at each step.
 *
 * usage: vhost_net [--backend anon|kernel] [--count N] [--event-idx]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "vhost_net.h"

#define STACK_PORT	5555	/* the stack's UDP socket, on the tap's address */
#define RING_PORT	6666	/* "the guest": the rings' side of the tap */

static const uint8_t ring_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x77, 0x02 };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vhost_net [--backend anon|kernel] [--count N] [--event-idx]\n"
		"  Sends N (default 3) UDP frames from a libvqchar TX ring through vhost-net\n"
		"  and a tap into the kernel's network stack, and N back into the RX ring.\n"
		"  --backend anon    ring memory from the library (default without /dev/vqchar)\n"
		"  --backend kernel  ring memory from /dev/vqchar (default when it exists)\n");
}

static const char *ip_str(uint32_t a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "backend", required_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'c' },
		{ "event-idx", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct vqnet_config cfg = { .num = 64 };
	uint32_t local = htonl(0x0a4d0001), peer = htonl(0x0a4d0002);	/* 10.77.0.1/.2 */
	char a1[INET_ADDRSTRLEN], a2[INET_ADDRSTRLEN];
	const char *missing = NULL;
	struct vqchar_net_stats st;
	struct vqnet *n;
	int count = 3, c, ret, sock, i, ok = 0, rx_ok = 0;

	cfg.backend = access("/dev/vqchar", F_OK) ? VQCHAR_BACKEND_ANON : VQCHAR_BACKEND_KERNEL;
	while ((c = getopt_long(argc, argv, "b:c:eh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (!strcmp(optarg, "anon")) {
				cfg.backend = VQCHAR_BACKEND_ANON;
			} else if (!strcmp(optarg, "kernel")) {
				cfg.backend = VQCHAR_BACKEND_KERNEL;
			} else {
				fprintf(stderr, "vhost_net: unknown backend '%s'\n", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'c':
			count = atoi(optarg);
			if (count < 1 || count > 32) {
				fprintf(stderr, "vhost_net: --count takes 1..32\n");
				return 2;
			}
			break;
		case 'e':
			cfg.features |= VQCHAR_F_EVENT_IDX;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	ret = vqnet_probe(&missing);
	if (ret) {
		printf("vhost_net: %s is not usable (%s); this kernel cannot run the vhost-net example.\n",
		       missing, strerror(-ret));
		return 2;
	}
	ret = vqnet_open(&cfg, &n);
	if (ret) {
		printf("vhost_net: set-up failed: %s\n", strerror(-ret));
		return 1;
	}
	printf("Created an RX and a TX queue (%u entries, %s memory) and tap %s;\n"
	       "  one vhost-net instance now moves frames between them and the tap.\n",
	       vqchar_queue_num(vqchar_net_queue(n->net, 0, VQCHAR_NET_TX)),
	       cfg.backend == VQCHAR_BACKEND_KERNEL ? "/dev/vqchar kernel" : "anonymous",
	       n->ifname);

	ret = vqnet_tap_ipv4(n, local, 24, peer, ring_mac);
	if (ret) {
		printf("vhost_net: cannot give %s an IPv4 address: %s\n", n->ifname, strerror(-ret));
		goto out;
	}
	sock = vqnet_udp_socket(local, STACK_PORT);
	if (sock < 0) {
		printf("vhost_net: UDP socket: %s\n", strerror(-sock));
		goto out;
	}
	printf("The kernel side of the tap is %s; the rings play %s.\n",
	       ip_str(local, a1), ip_str(peer, a2));

	/* TX: the ring sends, the stack's UDP socket receives. */
	for (i = 0; i < count; i++) {
		struct vqnet_udp4 h = { .saddr = peer, .daddr = local, .sport = RING_PORT,
					.dport = STACK_PORT, .ip_id = (uint16_t)i };
		uint8_t frame[256], buf[256];
		char msg[64];
		struct iovec iov;
		int len, tries;

		memcpy(h.dst_mac, n->mac, 6);
		memcpy(h.src_mac, ring_mac, 6);
		len = snprintf(msg, sizeof(msg), "hello from the TX ring, frame %d", i);
		iov.iov_base = frame;
		iov.iov_len = vqnet_udp4_build(frame, sizeof(frame), &h, msg, (size_t)len);
		ret = vqnet_tx_send(n, &iov, 1);
		if (ret != 1) {
			printf("TX %d: offering the frame failed: %s\n", i, strerror(-ret));
			continue;
		}
		for (tries = 0; tries < 20; tries++) {
			ssize_t r = recv(sock, buf, sizeof(buf) - 1, 0);

			if (r >= 0) {
				buf[r] = 0;
				printf("TX %d: %zu-byte frame offered on the TX ring -> vhost-net -> %s -> "
				       "UDP socket %s:%d got \"%s\"\n",
				       i, iov.iov_len, n->ifname, a1, STACK_PORT, buf);
				ok += r == len && !memcmp(buf, msg, (size_t)len);
				break;
			}
			vqnet_wait(n, 0, sock, 100);
		}
		if (tries == 20)
			printf("TX %d: the frame did not arrive within 2 s\n", i);
	}
	vqnet_tx_complete(n);

	/* RX: the stack sends, the ring receives. */
	for (i = 0; i < count; i++) {
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(RING_PORT),
					  .sin_addr.s_addr = peer };
		struct vqnet_frame f;
		char msg[64];
		int len, tries, got = 0;

		len = snprintf(msg, sizeof(msg), "hello from the kernel, datagram %d", i);
		if (sendto(sock, msg, (size_t)len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			printf("RX %d: sendto: %s\n", i, strerror(errno));
			continue;
		}
		for (tries = 0; tries < 20 && !got; tries++) {
			while (!got && vqnet_rx_take(n, &f) == 1) {
				struct vqnet_udp4 h;
				const uint8_t *p;
				size_t plen;

				if (vqnet_udp4_parse(f.data, f.len, &h, &p, &plen) ||
				    h.dport != RING_PORT) {
					printf("RX %d: (skipped a %u-byte frame the stack sent on its own)\n",
					       i, f.len);
				} else {
					printf("RX %d: UDP socket -> %s -> vhost-net -> RX ring: %u-byte frame "
					       "%s:%u -> %s:%u carrying \"%.*s\"\n",
					       i, n->ifname, f.len, ip_str(h.saddr, a1), h.sport,
					       ip_str(h.daddr, a2), h.dport, (int)plen, (const char *)p);
					rx_ok += plen == (size_t)len && !memcmp(p, msg, plen);
					got = 1;
				}
				vqnet_rx_release(n, &f);
			}
			if (!got)
				vqnet_wait(n, VQNET_READY_RX, -1, 100);
		}
		if (!got)
			printf("RX %d: nothing arrived in the RX ring within 2 s\n", i);
	}
	close(sock);

	if (!vqchar_net_get_stats(n->net, 0, &st)) {
		printf("TX ring: %llu frames sent with %llu kicks; vhost called %llu times.\n",
		       (unsigned long long)st.tx_packets, (unsigned long long)st.tx_kicks,
		       (unsigned long long)st.tx_calls);
		printf("RX ring: %llu frames received in %llu buffers; vhost called %llu times.\n",
		       (unsigned long long)st.rx_packets, (unsigned long long)st.rx_buffers,
		       (unsigned long long)st.rx_calls);
	}
	printf("%s: %d of %d frames went out and %d of %d came back intact.\n",
	       ok == count && rx_ok == count ? "OK" : "FAILED", ok, count, rx_ok, count);
out:
	vqnet_close(n);
	return ok == count && rx_ok == count ? 0 : 1;
}
