# Runs in the client node. traceroute sends UDP probes with TTL 1, 2, 3 ... (three per TTL, -q 3);
# each router that drops a probe because its TTL reached 0 answers ICMP time exceeded (type 11), and the
# server answers port unreachable (type 3) once a probe gets there. -n: print addresses, not names.
traceroute -n server
