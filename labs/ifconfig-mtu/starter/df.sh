# Runs in the client node. TODO: with DF set (ping -M do), ping the server once with the largest ICMP
# data size that fits the link's MTU, then once with one byte more.
ping -n -c 1 server
