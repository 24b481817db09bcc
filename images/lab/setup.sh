#!/bin/sh
# Post-install steps for the toplab lab image. Both builders run this as root inside the new
# root file system (the Dockerfile with RUN, the offline builder with chroot) after the packages
# from packages.txt are installed, so both images end up with the same contents.
set -eu

# The unprivileged user that student programs run as.
if ! getent group student >/dev/null 2>&1; then
  groupadd --gid 1000 student
fi
if ! getent passwd student >/dev/null 2>&1; then
  useradd --uid 1000 --gid 1000 --home-dir /home/student --create-home --shell /bin/sh student
fi

# Where toplab puts its own helpers inside containers.
install -d -o root -g root -m 0755 /opt/toplab

# Keep the image small: no package lists or caches, no documentation (licence texts stay).
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/lib/dpkg/*-old
rm -rf /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log /var/log/bootstrap.log
find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete 2>/dev/null || true
find /usr/share/doc -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf /usr/share/man/* /usr/share/info/* /usr/share/groff/* /usr/share/lintian/overrides/*
rm -rf /tmp/* /var/tmp/*
