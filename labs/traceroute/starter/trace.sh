# Runs in the client node. TODO: trace the route from here to `server`, printing addresses (not names).
echo "TODO: trace the route to the server"
