# Runs in the client node, as you. TODO: print the client's IPv4 address on the link to the server, read
# from ifconfig (or ip addr), as one line:
#   slim-address: <address>
echo "slim-address: "
