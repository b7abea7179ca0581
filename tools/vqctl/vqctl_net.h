/* SPDX-License-Identifier: MIT */
/* vqctl net (net.c): packets through a tun, via vhost-net or the tun fd. */
#ifndef VQCTL_NET_H
#define VQCTL_NET_H

/* argv[0] is "net"; returns vqctl's exit status. */
int vqctl_net(int argc, char **argv);

#endif /* VQCTL_NET_H */
