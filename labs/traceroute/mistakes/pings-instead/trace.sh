# A common mistake, kept for the lab's tests: ping instead of traceroute. The echo reply comes
# back, but no probe expires on the way, so no router shows itself.
ping -n -c 3 -i 0.2 server
