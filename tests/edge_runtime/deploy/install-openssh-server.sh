#!/bin/sh
# Debian's openssh-server for the deploy tests' loopback devices (`make test` runs this, as root).
# Only the sshd binary is wanted: a policy-rc.d answering 101 keeps apt from starting the system's own
# sshd on port 22 (the tests start theirs on 127.0.0.1 only); one that was already there is kept.
set -eu
test -x /usr/sbin/sshd && exit 0
added=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    added=yes
fi
status=0
{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
    openssh-server; } || status=$?
[ -z "$added" ] || rm -f /usr/sbin/policy-rc.d
exit $status
