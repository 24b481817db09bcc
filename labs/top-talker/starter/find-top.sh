# Runs on the server (as root) while the three clients send. Print two lines:
#   top: <the client sending the most right now: its name or address>
#   rate: <its rate, with a unit: 7.2Mb (iftop: bits), 7.2 Mbit/s, 900 KB/s>
# Tools: iftop -t -n -N -P -s 3 -i eth0; ss -tin (bytes_received), twice; /proc/net/dev. See README.md.
echo "top:"
echo "rate:"
