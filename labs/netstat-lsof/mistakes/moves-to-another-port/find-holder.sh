# Runs in the server node, as you. Prints who holds TCP port 8080, as `pid: <PID>` and `command: <name>`.
# lsof -i TCP:8080 -s TCP:LISTEN lists the processes with a listening socket on that port (-n -P: numbers,
# no name lookups). Its table is COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME; line 1 is the header.
# (`netstat -tlnp` or `ss -tlnp` show the same holder in their last column as 23/nc or users:(("nc",pid=23,..)).)
lsof -nP -iTCP:8080 -sTCP:LISTEN | awk 'NR == 2 { print "pid: " $2; print "command: " $1 }'
