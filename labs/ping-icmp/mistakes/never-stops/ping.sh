# A common mistake, kept for the lab's tests: no -c. Linux ping never stops by itself (Windows ping
# stops after 4), so it runs until the lab stops it and sends more requests than asked.
ping -n -s 120 server
