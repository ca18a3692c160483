/* SPDX-License-Identifier: MIT */
/*
 * qemu-sendframes: test helper for qemu-netsnap.  Sends COUNT Ethernet
 * frames of exactly SIZE bytes out of IFNAME through a packet socket, to
 * DSTMAC, with a local experimental ethertype (0x88b5): no IP address is
 * involved, so nothing can leave this machine, and a tap's byte counter
 * moves by exactly COUNT * SIZE once the guest has read them.
 *
 *   qemu-sendframes IFNAME COUNT SIZE DSTMAC
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static unsigned char frame[9000];
	struct sockaddr_ll sll;
	unsigned int mac[6];
	long count, size;
	int s;

	if (argc != 5 || sscanf(argv[4], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1],
				&mac[2], &mac[3], &mac[4], &mac[5]) != 6) {
		fprintf(stderr, "usage: qemu-sendframes IFNAME COUNT SIZE "
				"DSTMAC\n");
		return 64;
	}
	count = strtol(argv[2], NULL, 10);
	size = strtol(argv[3], NULL, 10);
	if (count < 0 || count > 100000 || size < 60 ||
	    size > (long)sizeof frame) {
		fprintf(stderr, "qemu-sendframes: COUNT 0..100000, SIZE "
				"60..9000\n");
		return 64;
	}
	s = socket(AF_PACKET, SOCK_RAW, 0);
	if (s < 0) {
		fprintf(stderr, "qemu-sendframes: socket: %s\n",
			strerror(errno));
		return 77;
	}
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	sll.sll_halen = 6;
	if (!sll.sll_ifindex) {
		fprintf(stderr, "qemu-sendframes: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	for (int i = 0; i < 6; i++)
		frame[i] = sll.sll_addr[i] = (unsigned char)mac[i];
	frame[6] = 0x02; /* locally administered source */
	frame[11] = 0x01;
	frame[12] = 0x88;
	frame[13] = 0xb5;
	for (long i = 0; i < count; i++) {
		/* Retry when the device queue is full rather than lose a
		 * frame the test counts on. */
		while (sendto(s, frame, (size_t)size, 0,
			      (struct sockaddr *)&sll, sizeof sll) != size) {
			if (errno != ENOBUFS && errno != EAGAIN) {
				fprintf(stderr, "qemu-sendframes: send: %s\n",
					strerror(errno));
				return 1;
			}
			usleep(1000);
		}
	}
	close(s);
	return 0;
}
