# Runs in the client node, as you. Prints the client's IPv4 address on the link to the server, read from
# ifconfig. `ifconfig eth1` prints a line like
#     inet 10.0.19.20  netmask 255.255.255.0  broadcast 10.0.19.255
# (the addresses differ in every copy of the lab, so this is read when the lab is graded).
ifconfig eth1 | awk '$1 == "inet" { print "slim-address: " $2 }'
