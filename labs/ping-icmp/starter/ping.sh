# Runs in the client node. TODO: four echo requests to `server`, each with 120 bytes of ICMP data.
# `man ping` (or `lab exec ping-icmp client -- ping --help`) lists the options.
ping server
