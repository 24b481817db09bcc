# A common mistake, kept for the lab's tests: no -s, so ping sends its default 56 bytes of data.
ping -n -c 4 -i 0.2 server
