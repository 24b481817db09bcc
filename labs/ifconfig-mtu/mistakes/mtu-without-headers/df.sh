# Runs in the client node. With -M do, ping sets DF (don't fragment) on its packets. The IP packet is the
# ICMP data (-s) + 8 bytes of ICMP header + 20 bytes of IP header, so on a link with MTU 1000 the largest
# data that fits is 1000 - 28 = 972 bytes:
ping -n -c 1 -M do -s 972 server
# One byte more no longer fits, and with DF set the kernel refuses to send it at all: sendto() fails with
# EMSGSIZE, which ping prints as "local error: message too long, mtu=1000".
ping -n -c 1 -M do -s 973 server
# The script's exit code is ping's last one (1); that is expected.
