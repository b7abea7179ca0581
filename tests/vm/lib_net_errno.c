// SPDX-License-Identifier: GPL-2.0
/*
 * Every refusal of libvqchar's net API gives its documented errno
 * (include/vqchar_net.h), one test each, every other input valid.
 *
 * Missing devices are staged in a child with its own mount namespace and
 * a tmpfs over /dev holding only the other node (mknod), so nothing the
 * other tests see changes.  "Not permitted" is a child that dropped to
 * nobody (the vhost-net node is 0600) or dropped CAP_NET_ADMIN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wclobbered"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#include "lib_net.h"

#define NE_TUN_MINOR	200
#define NE_VHOST_MINOR	238

static struct vqchar_net_params ne_params(void)
{
	return (struct vqchar_net_params){
		.backend = VQCHAR_BACKEND_ANON,
		.features = VQCHAR_F_EVENT_IDX,
		.ifname = "vqerr%d",
	};
}

static int ne_open(const struct vqchar_net_params *p)
{
	struct vqchar_net *n = (struct vqchar_net *)(uintptr_t)0xcc;
	int ret = vqchar_net_open(p, &n);

	if (!ret)
		vqchar_net_close(n);
	else if (n != (struct vqchar_net *)(uintptr_t)0xcc)
		return -EFAULT;	/* a failed open wrote its result */
	return ret;
}

/* Run ne_open() in a child prepared by @prep; returns its result. */
static int ne_in_child(int (*prep)(void))
{
	int status, ret;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		struct vqchar_net_params p = ne_params();

		ret = prep();
		if (!ret)
			ret = ne_open(&p);
		_exit(ret < 0 ? -ret : 0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

/* A private /dev with only the node @minor (10, @minor) at @path. */
static int ne_dev_with(const char *path, unsigned int minor)
{
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755"))
		return -EXDEV;
	mkdir("/dev/net", 0755);
	if (mknod(path, S_IFCHR | 0666, makedev(10, minor)))
		return -EXDEV;
	return 0;
}

static int ne_only_tun(void)
{
	return ne_dev_with("/dev/net/tun", NE_TUN_MINOR);
}

static int ne_only_vhost(void)
{
	return ne_dev_with("/dev/vhost-net", NE_VHOST_MINOR);
}

static int ne_nobody(void)
{
	/* /dev/vhost-net is root's, mode 0600. */
	return setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534) ? -EXDEV : 0;
}

static int ne_no_net_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -EXDEV;
	d[CAP_NET_ADMIN / 32].effective &= ~(1U << (CAP_NET_ADMIN % 32));
	d[CAP_NET_ADMIN / 32].permitted &= ~(1U << (CAP_NET_ADMIN % 32));
	return syscall(SYS_capset, &h, d) ? -EXDEV : 0;
}

static int ne_skip(void)
{
	return access("/dev/vhost-net", F_OK) || access("/dev/net/tun", F_OK);
}

#define NE_NEED_DEVICES() do { \
	if (ne_skip()) \
		SKIP(return, "no /dev/vhost-net or /dev/net/tun in this kernel"); \
} while (0)

TEST(no_vhost_net_is_enoent)
{
	NE_NEED_DEVICES();
	ASSERT_EQ(-ENOENT, ne_in_child(ne_only_tun));
}

TEST(no_tun_is_enodev)
{
	NE_NEED_DEVICES();
	ASSERT_EQ(-ENODEV, ne_in_child(ne_only_vhost));
}

TEST(vhost_node_permissions_are_eacces)
{
	NE_NEED_DEVICES();
	ASSERT_EQ(-EACCES, ne_in_child(ne_nobody));
}

TEST(no_cap_net_admin_is_eperm)
{
	NE_NEED_DEVICES();
	ASSERT_EQ(-EPERM, ne_in_child(ne_no_net_admin));
}

TEST(the_same_in_a_child_opens)
{
	NE_NEED_DEVICES();
	/* The control for the four above: the child itself is fine. */
	ASSERT_EQ(0, ne_in_child(ne_skip));
}

TEST(bad_params_are_einval)
{
	struct vqchar_net_params p;
	struct vqchar_net *n;

	p = ne_params();
	ASSERT_EQ(-EINVAL, vqchar_net_open(NULL, &n));
	ASSERT_EQ(-EINVAL, vqchar_net_open(&p, NULL));
	p.reserved[4] = 1;
	EXPECT_EQ(-EINVAL, ne_open(&p));
	p = ne_params();
	p.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, ne_open(&p));
	p = ne_params();
	p.backend = 7;
	EXPECT_EQ(-EINVAL, ne_open(&p));
	p = ne_params();
	p.num = 100;
	EXPECT_EQ(-EINVAL, ne_open(&p));
	p = ne_params();
	p.rx_buf_size = 1000;	/* not a multiple of 16 */
	EXPECT_EQ(-EINVAL, ne_open(&p));
	p = ne_params();
	p.tx_buf_size = 32;
	EXPECT_EQ(-EINVAL, ne_open(&p));
	p = ne_params();
	p.pairs = VQCHAR_NET_MAX_PAIRS + 1;
	EXPECT_EQ(-EINVAL, ne_open(&p));
	p = ne_params();
	p.features |= VQCHAR_NET_F_HOST_TSO4;	/* without CSUM */
	EXPECT_EQ(-EINVAL, ne_open(&p));
	p = ne_params();
	p.features |= VQCHAR_NET_F_GUEST_TSO6;	/* without GUEST_CSUM */
	EXPECT_EQ(-EINVAL, ne_open(&p));
	p = ne_params();
	p.features |= VQCHAR_NET_F_GUEST_CSUM | VQCHAR_NET_F_GUEST_USO4;	/* without USO6 */
	EXPECT_EQ(-EINVAL, ne_open(&p));
	p = ne_params();
	p.features |= 1ULL << 40;	/* unknown */
	EXPECT_EQ(-EINVAL, ne_open(&p));
	p = ne_params();
	p.flags = VQCHAR_NET_ADOPT;	/* without tun_fds */
	EXPECT_EQ(-EINVAL, ne_open(&p));
	p = ne_params();
	p.flags = VQCHAR_NET_DEV_FD;	/* anonymous backend */
	EXPECT_EQ(-EINVAL, ne_open(&p));
}

/* A tun queue made by hand with @flags; -errno on failure. */
static int ne_tun(short flags, const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

TEST(adopting_a_non_tun_is_ebadf)
{
	struct vqchar_net_params p = ne_params();
	int fd, unattached;

	NE_NEED_DEVICES();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	p.flags = VQCHAR_NET_ADOPT;
	p.tun_fds = &fd;
	EXPECT_EQ(-EBADF, ne_open(&p));
	/* A tun descriptor before TUNSETIFF is not a queue yet. */
	unattached = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, unattached);
	p.tun_fds = &unattached;
	EXPECT_EQ(-EBADF, ne_open(&p));
	close(unattached);
	close(fd);
}

TEST(adopting_without_vnet_hdr_is_eopnotsupp)
{
	struct vqchar_net_params p = ne_params();
	int fd;

	NE_NEED_DEVICES();
	fd = ne_tun(IFF_TUN | IFF_NO_PI, "vqnohdr0");
	ASSERT_LE(0, fd);
	p.flags = VQCHAR_NET_ADOPT;
	p.tun_fds = &fd;
	EXPECT_EQ(-EOPNOTSUPP, ne_open(&p));
	close(fd);
}

TEST(adopting_the_wrong_kind_is_einval)
{
	struct vqchar_net_params p = ne_params();
	int fd;

	NE_NEED_DEVICES();
	fd = ne_tun(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, "vqkind0");
	ASSERT_LE(0, fd);
	p.flags = VQCHAR_NET_ADOPT;	/* tun asked for, tap given */
	p.tun_fds = &fd;
	EXPECT_EQ(-EINVAL, ne_open(&p));
	p.flags |= VQCHAR_NET_TAP;	/* the control */
	EXPECT_EQ(0, ne_open(&p));
	close(fd);
}

TEST(an_interface_of_another_kind_is_ebusy)
{
	struct vqchar_net_params p = ne_params();
	int fd;

	NE_NEED_DEVICES();
	fd = ne_tun(IFF_TAP | IFF_NO_PI, "vqbusy0");
	ASSERT_LE(0, fd);
	p.ifname = "vqbusy0";
	EXPECT_EQ(-EBUSY, ne_open(&p));
	close(fd);
}

/*
 * UDP GSO came with Linux 6.2: where the tun refuses TUN_F_USO4, asking
 * for it is -EOPNOTSUPP, and BEST_EFFORT opens without it; where the tun
 * takes it, both open with it.
 */
TEST(unoffered_feature_is_eopnotsupp)
{
	struct vqchar_net_params p = ne_params();
	struct vqchar_net *n;
	int fd, has_uso;

	NE_NEED_DEVICES();
	fd = ne_tun(IFF_TUN | IFF_NO_PI | IFF_VNET_HDR, "vquso%d");
	ASSERT_LE(0, fd);
	has_uso = !ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | 0x20 | 0x40);
	close(fd);
	p.features |= VQCHAR_NET_F_CSUM | VQCHAR_NET_F_HOST_USO;
	EXPECT_EQ(has_uso ? 0 : -EOPNOTSUPP, ne_open(&p));
	p.flags = VQCHAR_NET_BEST_EFFORT;
	ASSERT_EQ(0, vqchar_net_open(&p, &n));
	EXPECT_EQ(has_uso ? VQCHAR_NET_F_HOST_USO : 0,
		  vqchar_net_features(n) & VQCHAR_NET_F_HOST_USO);
	EXPECT_NE(0, vqchar_net_features(n) & VQCHAR_NET_F_CSUM);
	vqchar_net_close(n);
	TH_LOG("this kernel's tun %s UDP GSO", has_uso ? "offers" : "does not offer");
}

FIXTURE(open_net) {
	struct vqchar_net *n;
};

FIXTURE_SETUP(open_net)
{
	struct vqchar_net_params p = ne_params();

	self->n = NULL;
	if (ne_skip())
		SKIP(return, "no /dev/vhost-net or /dev/net/tun in this kernel");
	ASSERT_EQ(0, vqchar_net_open(&p, &self->n));
}

FIXTURE_TEARDOWN(open_net)
{
	EXPECT_EQ(0, vqchar_net_close(self->n));
}

TEST_F(open_net, idle_wait_is_etimedout)
{
	/* The interface is down: nothing can arrive. */
	EXPECT_EQ(-ETIMEDOUT, vqchar_net_wait(self->n, 0, VQCHAR_NET_RX, 50));
	EXPECT_EQ(-ETIMEDOUT, vqchar_net_wait(self->n, 0, VQCHAR_NET_RX | VQCHAR_NET_TX, 0));
	EXPECT_EQ(-EINVAL, vqchar_net_wait(self->n, 1, VQCHAR_NET_RX, 0));
	EXPECT_EQ(-EINVAL, vqchar_net_wait(self->n, 0, 0, 0));
	EXPECT_EQ(-EINVAL, vqchar_net_wait(self->n, 0, 4, 0));
}

TEST_F(open_net, bad_packets)
{
	static uint8_t big[70000];
	struct iovec iov = { big, sizeof(big) }, empty = { big, 0 };
	struct vqchar_net_pkt pkt = { .iov = &iov, .iov_cnt = 1 };
	struct vqchar_net_txbuf b;
	struct vqchar_net_rxpkt rx;
	struct iovec riov;

	EXPECT_EQ(-EMSGSIZE, vqchar_net_send(self->n, 0, &pkt, 1, 0));
	pkt.iov = &empty;
	EXPECT_EQ(-EINVAL, vqchar_net_send(self->n, 0, &pkt, 1, 0));
	EXPECT_EQ(-EINVAL, vqchar_net_send(self->n, 1, &pkt, 1, 0));
	EXPECT_EQ(-EINVAL, vqchar_net_send(self->n, 0, &pkt, 1, 1U << 9));

	/* A zero-copy buffer with a length beyond its room. */
	ASSERT_EQ(1, vqchar_net_tx_get(self->n, 0, &b, 1));
	EXPECT_EQ(VQCHAR_NET_DEFAULT_BUF - VQCHAR_NET_HDR_LEN, b.cap);
	b.len = b.cap + 1;
	EXPECT_EQ(-EINVAL, vqchar_net_send_bufs(self->n, 0, &b, 1, 0));
	b.len = 0;
	EXPECT_EQ(-EINVAL, vqchar_net_send_bufs(self->n, 0, &b, 1, 0));
	EXPECT_EQ(0, vqchar_net_tx_put(self->n, 0, &b, 1));
	EXPECT_EQ(-EINVAL, vqchar_net_tx_put(self->n, 0, &b, 1));	/* twice */

	/* Giving back a packet that is not outstanding. */
	riov.iov_base = big;
	riov.iov_len = 1;
	rx = (struct vqchar_net_rxpkt){ .nr_iov = 1, .iov = &riov };
	EXPECT_EQ(-EINVAL, vqchar_net_recv_done(self->n, 0, &rx, 1));
	riov.iov_base = vqchar_queue_pool(vqchar_net_queue(self->n, 0, VQCHAR_NET_RX));
	EXPECT_EQ(-EINVAL, vqchar_net_recv_done(self->n, 0, &rx, 1));
	EXPECT_EQ(0, vqchar_net_recv(self->n, 0, &rx, 1, &riov, 1));
	EXPECT_EQ(-EINVAL, vqchar_net_recv(self->n, 3, &rx, 1, &riov, 1));
}

TEST_HARNESS_MAIN
