#!/bin/sh
# The workload of `make demo`'s traced container (busybox sh, read-only rootfs, tmpfs /tmp, its own
# network namespace). Each step leaves something to look for in the trace and the dashboard; the
# failures are on purpose, so nothing here stops at the first error.

# stderr into stdout, so the failures print in order with the rest.
exec 2>&1
step() { echo "== $*"; }

step "files: write, read, list, rename, remove"
mkdir -p /tmp/notes
echo "traced from the first instruction" >/tmp/notes/hello.txt
cat /tmp/notes/hello.txt
cp /etc/passwd /tmp/notes/passwd
mv /tmp/notes/passwd /tmp/notes/users
ls -l /tmp/notes
rm /tmp/notes/users

step "child processes: a pipeline, sh -c, a background job"
grep -v nologin /etc/passwd | cut -d: -f1 | sort | tr '\n' ' '
echo
sh -c 'echo "child sh $$ of $PPID"; ls / | wc -l'
sleep 0.2 &
wait $!

step "network on loopback: httpd serves, wget fetches, nc talks to nc"
ip link set lo up 2>/dev/null || true # runc brings lo up in a new netns; harmless if already up
mkdir -p /tmp/www
echo "<h1>hello from a traced container</h1>" >/tmp/www/index.html
httpd -f -p 127.0.0.1:8080 -h /tmp/www &
httpd=$!
# httpd has not bound yet the first time or two: those refused connects are in the trace too.
for _ in 1 2 3 4 5 6 7 8 9 10; do
	wget -q -O /tmp/page.html http://127.0.0.1:8080/index.html && break
	sleep 0.1
done
cat /tmp/page.html
kill "$httpd"
nc -l -p 9000 >/tmp/received &
listener=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
	echo "a message over tcp" | nc 127.0.0.1 9000 2>/dev/null && break
	sleep 0.1
done
wait "$listener"
cat /tmp/received

step "failures: ENOENT, EROFS and EACCES as a non-root user, ECONNREFUSED"
cat /etc/does-not-exist || true
chmod 0644 /tmp/notes/hello.txt
# su drops to uid 1000 (needs CAP_SETUID/CAP_SETGID, granted in config.json for this step).
su -s /bin/sh user -c 'id; echo x >/etc/motd; echo x >>/tmp/notes/hello.txt' || true
echo | nc 127.0.0.1 9 || true

step "done"
