# Runs in the client node. Four echo requests (-c 4), each carrying 120 bytes of data (-s 120: the ICMP
# data only; the 8-byte ICMP header and 20-byte IP header come on top), 0.2 s apart, numeric output.
ping -n -c 4 -s 120 -i 0.2 server
