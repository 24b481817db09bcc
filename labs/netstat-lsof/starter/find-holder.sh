# Runs in the server node, as you. TODO: print who holds TCP port 8080, as two lines:
#   pid: <PID>
#   command: <command name>
# Try `lsof -i :8080` and `netstat -tlnp` by hand first (lab exec netstat-lsof server -- ...).
echo "pid: "
echo "command: "
