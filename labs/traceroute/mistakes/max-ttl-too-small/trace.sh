# A common mistake, kept for the lab's tests: -m (the largest TTL) set to the number of routers.
# The probes never live long enough to reach the server itself.
traceroute -n -m 2 server
