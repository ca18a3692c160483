/* SPDX-License-Identifier: MIT */
/*
 * server: the echo side (tcpping-burst --serve [ADDR]:PORT), compatible
 * with the Go daemon's server.  It echoes well-formed 24-byte probes only
 * (never arbitrary bytes: no reflection) and closes a connection on its
 * first byte that cannot belong to a probe.  Bounded: at most max_conns
 * connections and max_per_ip per remote address (later ones are accepted
 * and closed at once), a read deadline and a write deadline per
 * connection, a fixed output buffer per connection (reading pauses while
 * it is full).  Listens on the sockets systemd passes (LISTEN_FDS) when
 * there are any, else binds ADDR:PORT (":PORT" is every address).
 * SIGTERM or SIGINT: close everything, write the stats once more, exit 0.
 *
 * Stats (tcpping_echo_*) go to stats_path through promfile's atomic
 * writer, at most every stats_interval seconds, and at exit.
 *
 * server_run() returns an exit code: 0 after a signal, 64 bad address, 77
 * no permission to bind, 69 address in use, 74 when the last stats could
 * not be written at exit, 1 other failures.  While running, a stats file
 * that cannot be written is reported and retried at the next interval.
 */
#ifndef TCPPING_SERVER_H
#define TCPPING_SERVER_H

struct server_opts {
	const char *listen;
	unsigned max_conns, max_per_ip;
	double read_timeout, write_timeout, stats_interval;
	const char *stats_path; /* "-" for stdout */
};

int server_run(const struct server_opts *o);

#endif
