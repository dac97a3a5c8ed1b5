// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * runc-trace-bpf - arms and disarms containers for tracing (adr/0001).
 *
 *   runc-trace-bpf [-v] arm --id ID --pid PID [--buffer-size BYTES] [--rate-limit N] < meta.json
 *   runc-trace-bpf [-v] disarm --id ID
 *   runc-trace-bpf [-v] gc | status | layout | golden FILE
 *
 * Runs in the host's namespaces, as root, from runc's parent side. All BPF
 * state lives in bpffs pins under /sys/fs/bpf/runc-trace; this process only
 * edits it, under an exclusive flock on /run/runc-trace/lock.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "trace.h"
#include "trace.skel.h"

#define BPFFS		"/sys/fs/bpf"
#define PIN_DIR		pin_dir
#define PIN_CONTAINERS	pin_containers
#define RUN_DIR		run_dir
#define RUN_CONTAINERS	run_containers
#define LOCK_FILE	lock_file
#define META_MAX	(1 << 20)
#define ID_MAX		1024

static bool verbose;

/*
 * Where the shared state lives. Tests (bpf/test.sh) point both elsewhere through
 * RUNC_TRACE_BPF_PIN_DIR / RUNC_TRACE_BPF_RUN_DIR to get a private instance that
 * neither sees nor disturbs containers armed by a real runc on the same host.
 */
static const char *pin_dir = BPFFS "/runc-trace";
static const char *run_dir = "/run/runc-trace";
static char pin_containers[PATH_MAX], run_containers[PATH_MAX], lock_file[PATH_MAX];

static const char *const map_names[] = { "slots", "cgroups", "buffers", "tasks", "scratch", "throttles" };
static const char *const prog_names[] = {
	"sys_enter", "sys_exit", "sched_process_fork", "sched_process_exec",
	"sched_process_exit", "cgroup_attach_task", "cgroup_mkdir", "cgroup_rmdir",
};
#define NMAPS	(sizeof(map_names) / sizeof(map_names[0]))
#define NPROGS	(sizeof(prog_names) / sizeof(prog_names[0]))

/* The shared maps, either just loaded by this invocation or reopened from their pins. */
struct shared {
	int slots, cgroups, buffers, tasks, scratch, throttles;
	struct trace_bpf *skel;
	bool loaded_here;
};

/* Every fd closed (-1), so that close_shared() never closes what it did not open. */
#define SHARED_INIT { .slots = -1, .cgroups = -1, .buffers = -1, .tasks = -1, .scratch = -1, .throttles = -1 }

static int libbpf_print_fn(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* Prints "runc-trace-bpf: failed to <what>: <strerror>" and returns -err. */
static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	if (err < 0)
		err = -err;
	if (!err)
		err = EINVAL;
	fprintf(stderr, "runc-trace-bpf: failed to ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	return -err;
}

static void vlog(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	fprintf(stderr, "runc-trace-bpf: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- validation ---------------------------------------------------------------------- */

/* Like runc: [A-Za-z0-9_.+-]+, and never a path component of its own. */
static bool valid_id(const char *id)
{
	size_t n = strlen(id);

	if (!n || n > ID_MAX || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (; *id; id++)
		if (!isalnum((unsigned char)*id) && !strchr("_.+-", *id))
			return false;
	return true;
}

static int parse_u64(const char *s, unsigned long long *out)
{
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

/* A small strict JSON validator: the meta object is copied verbatim into the container file. */
static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = *p++;

		if (c == '"')
			return p;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			c = *p++;
			if (c == 'u') {
				for (int i = 0; i < 4; i++)
					if (!isxdigit((unsigned char)*p++))
						return NULL;
			} else if (!c || !strchr("\"\\/bfnrt", c)) {
				return NULL;
			}
		}
	}
}

static const char *json_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (isdigit((unsigned char)*p))
		while (isdigit((unsigned char)*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return NULL;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return p;
}

static const char *json_container(const char *p, int depth, char close)
{
	p = json_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = json_string(p);
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = json_value(p, depth + 1);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = json_ws(p);
	switch (*p) {
	case '{': return json_container(p, depth, '}');
	case '[': return json_container(p, depth, ']');
	case '"': return json_string(p);
	case 't': return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f': return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n': return strncmp(p, "null", 4) ? NULL : p + 4;
	default: return json_number(p);
	}
}

/* Returns the object with surrounding whitespace trimmed, or NULL. */
static char *valid_meta(char *buf)
{
	const char *end;
	char *p = (char *)json_ws(buf);

	if (*p != '{')
		return NULL;
	end = json_value(p, 0);
	if (!end || *json_ws(end))
		return NULL;
	*(char *)end = '\0';
	return p;
}

static void json_put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Reads a field of a container file this helper wrote (our fields precede "meta"). */
static int json_get_u64(const char *buf, const char *key, unsigned long long *out)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(buf, pat);
	if (!p)
		return -ENOENT;
	*out = strtoull(p + strlen(pat), NULL, 10);
	return 0;
}

static int json_get_str(const char *buf, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(buf, pat);
	if (!p)
		return -ENOENT;
	for (p += strlen(pat); *p && *p != '"'; p++) {
		char c = *p;

		if (c == '\\') {
			p++;
			if (*p == 'u') {
				unsigned int v;

				if (sscanf(p + 1, "%4x", &v) != 1)
					return -EINVAL;
				c = (char)v;
				p += 4;
			} else {
				c = *p;
			}
		}
		if (n + 1 >= size)
			return -ENAMETOOLONG;
		out[n++] = c;
	}
	out[n] = '\0';
	return *p == '"' ? 0 : -EINVAL;
}

/* Reads all of fd (closing it unless it is stdin), NUL-terminated; NULL with errno set. */
static char *read_fd(int fd, size_t max, size_t *len)
{
	size_t n = 0, cap = 4096;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf) {
		ssize_t r;

		if (n == cap) {
			char *nb;

			if (cap >= max) {
				errno = EFBIG;
				goto err;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb)
				goto err;
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto err;
		if (r == 0)
			break;
		n += r;
	}
	if (fd)
		close(fd);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = n;
	}
	return buf;
err:
	free(buf);
	if (fd)
		close(fd);
	return NULL;
}

static char *read_file(const char *path, size_t max, size_t *len)
{
	return read_fd(open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), max, len);
}

/* ---- paths and cgroups ------------------------------------------------------------------- */

static const char *cgroup2_mount(void)
{
	static const char *const cands[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs st;

	for (size_t i = 0; i < 2; i++)
		if (!statfs(cands[i], &st) && st.f_type == CGROUP2_SUPER_MAGIC)
			return cands[i];
	return NULL;
}

/* PID's v2 cgroup path (relative to the cgroup2 mount) and id (the directory's inode). */
static int pid_cgroup(int pid, char *path, size_t size, __u64 *id)
{
	char proc[64], full[PATH_MAX], *buf, *line;
	const char *mnt = cgroup2_mount();
	struct stat st;
	int fd, err = -ENOENT;

	if (!mnt)
		return fail(ENODEV, "find cgroup2 mount");
	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", pid);
	buf = read_file(proc, 1 << 16, NULL);
	if (!buf)
		return fail(errno, "read %s", proc);
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "0::", 3))
			continue;
		if (line[3] != '/' || strstr(line + 3, "/..") || strstr(line + 3, " (deleted)")) {
			err = -EINVAL;
			break;
		}
		if (!strcmp(line + 3, "/")) {	/* tracing the root cgroup would trace the host */
			err = -EPERM;
			break;
		}
		if ((size_t)snprintf(path, size, "%s", line + 3) >= size) {
			err = -ENAMETOOLONG;
			break;
		}
		err = 0;
		break;
	}
	free(buf);
	if (err)
		return fail(err, "find v2 cgroup of pid %d", pid);
	snprintf(full, sizeof(full), "%s%s", mnt, path);
	fd = open(full, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = fail(errno, "open cgroup %s", full);
		if (fd >= 0)
			close(fd);
		return err;
	}
	close(fd);
	*id = st.st_ino;
	return 0;
}

static bool cgroup_alive(const char *path, __u64 id)
{
	const char *mnt = cgroup2_mount();
	char full[PATH_MAX];
	struct stat st;

	if (!mnt || (size_t)snprintf(full, sizeof(full), "%s%s", mnt, path) >= sizeof(full))
		return false;
	return !lstat(full, &st) && S_ISDIR(st.st_mode) && st.st_ino == id;
}

static int ensure_dir(const char *path, mode_t mode)
{
	struct stat st;

	if (!mkdir(path, mode))
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (lstat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return chmod(path, mode) ? -errno : 0;
}

static int ensure_bpffs(void)
{
	struct statfs st;
	int err;

	if (!statfs(BPFFS, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	err = ensure_dir(BPFFS, 0755);
	if (err)
		return fail(err, "create %s", BPFFS);
	if (mount("bpf", BPFFS, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700"))
		return fail(errno, "mount bpffs at %s", BPFFS);
	return 0;
}

static void pin_path(char *buf, size_t size, const char *prefix, const char *name)
{
	snprintf(buf, size, "%s/%s%s", PIN_DIR, prefix, name);
}

static void container_pin(char *buf, size_t size, const char *id)
{
	snprintf(buf, size, "%s/%s", PIN_CONTAINERS, id);
}

static void container_file(char *buf, size_t size, const char *id)
{
	snprintf(buf, size, "%s/%s.json", RUN_CONTAINERS, id);
}

/* ---- shared program and maps ------------------------------------------------------------ */

static bool fully_pinned(void)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < NPROGS; i++) {
		pin_path(path, sizeof(path), "link_", prog_names[i]);
		if (access(path, F_OK))
			return false;
	}
	for (size_t i = 0; i < NMAPS; i++) {
		pin_path(path, sizeof(path), "", map_names[i]);
		if (access(path, F_OK))
			return false;
	}
	return true;
}

static void remove_dir_entries(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name), s = suffix ? strlen(suffix) : 0;

		if (e->d_name[0] == '.' || (suffix && (n < s || strcmp(e->d_name + n - s, suffix))))
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

/* Detaches (links first) and forgets everything; containers' files are stale after this. */
static void unload_all(void)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < NPROGS; i++) {
		pin_path(path, sizeof(path), "link_", prog_names[i]);
		unlink(path);
	}
	for (size_t i = 0; i < NMAPS; i++) {
		pin_path(path, sizeof(path), "", map_names[i]);
		unlink(path);
	}
	remove_dir_entries(PIN_CONTAINERS, NULL);
	rmdir(PIN_CONTAINERS);
	rmdir(PIN_DIR);
	vlog("unloaded: no traced container left");
}

static void close_shared(struct shared *sh)
{
	int *fds[] = { &sh->slots, &sh->cgroups, &sh->buffers, &sh->tasks, &sh->scratch, &sh->throttles };

	for (size_t i = 0; i < NMAPS; i++) {
		if (*fds[i] >= 0 && !sh->skel)
			close(*fds[i]);
		*fds[i] = -1;
	}
	trace_bpf__destroy(sh->skel);	/* links stay attached through their pins */
	sh->skel = NULL;
}

/* Reopens the pinned maps; -ENOENT if nothing (complete) is pinned. */
static int open_pinned(struct shared *sh)
{
	int *fds[] = { &sh->slots, &sh->cgroups, &sh->buffers, &sh->tasks, &sh->scratch, &sh->throttles };
	char path[PATH_MAX];

	if (!fully_pinned())
		return -ENOENT;
	for (size_t i = 0; i < NMAPS; i++) {
		pin_path(path, sizeof(path), "", map_names[i]);
		*fds[i] = bpf_obj_get(path);
		if (*fds[i] < 0) {
			int err = fail(errno, "open pinned map %s", path);

			close_shared(sh);
			return err;
		}
	}
	return 0;
}

/* A container's ring buffer of `size` bytes, to be put into buffers (`map`) at `slot`. */
struct slot_ring {
	__u64 size;
	__u32 slot;
	int map, rb, err;	/* err: rb < 0 if its creation failed, else the update */
};

/* Creates the ring and sets buffers[slot] to it (that update waits for an RCU grace period). */
static void *create_slot_ring(void *arg)
{
	struct slot_ring *a = arg;

	a->rb = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "rt_ringbuf", 0, 0, a->size, NULL);
	if (a->rb < 0) {
		a->err = -errno;
		return NULL;
	}
	fcntl(a->rb, F_SETFD, FD_CLOEXEC);
	if (bpf_map_update_elem(a->map, &a->slot, &a->rb, BPF_ANY))
		a->err = -errno;
	return NULL;
}

/*
 * Loads, attaches and pins everything. The first container's ring buffer (`rbsize` bytes) is
 * created and put into slot 0 (the first free slot of a new `slots` map) on a thread while libbpf
 * relocates and the kernel verifies the programs, so that its allocation and the grace period of
 * the map-in-map update overlap them; *rb is its fd on success. `buffers` is created here as
 * libbpf would (no BTF, a TRACE_MIN_RINGBUF ring as inner map template) and handed to libbpf with
 * bpf_map__reuse_fd, so that it exists before the programs are loaded.
 */
static int load_and_pin(struct shared *sh, __u64 rbsize, int *rb)
{
	LIBBPF_OPTS(bpf_map_create_opts, outer);
	struct slot_ring ins = { .size = rbsize, .slot = 0, .map = -1, .rb = -1 };
	char path[PATH_MAX];
	pthread_t thread;
	int err, inner;

	err = ensure_bpffs();
	if (err)
		return err;
	/* a partial pin set is what a killed helper left while loading: nothing can use it */
	unload_all();
	remove_dir_entries(RUN_CONTAINERS, ".json");
	if ((err = ensure_dir(PIN_DIR, 0700)) || (err = ensure_dir(PIN_CONTAINERS, 0700)))
		return fail(err, "create %s", PIN_CONTAINERS);

	sh->skel = trace_bpf__open();
	if (!sh->skel) {
		err = fail(errno, "open BPF object trace");
		goto cleanup;
	}
	inner = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "buffers.inner", 0, 0, TRACE_MIN_RINGBUF, NULL);
	if (inner < 0) {
		err = fail(errno, "create map buffers");
		goto cleanup;
	}
	outer.inner_map_fd = inner;
	ins.map = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "buffers", sizeof(__u32), sizeof(__u32),
				 TRACE_MAX_CONTAINERS, &outer);
	err = ins.map < 0 ? -errno : 0;
	close(inner);
	if (!err)
		err = bpf_map__reuse_fd(sh->skel->maps.buffers, ins.map);	/* libbpf keeps a dup */
	if (err) {
		err = fail(err, "create map buffers");
		goto cleanup;
	}
	if (pthread_create(&thread, NULL, create_slot_ring, &ins)) {
		create_slot_ring(&ins);
		err = trace_bpf__load(sh->skel);
	} else {
		err = trace_bpf__load(sh->skel);
		pthread_join(thread, NULL);
	}
	/* the ring first: when it takes the memory the load wanted too, its own failure is the cause */
	if (ins.err && ins.rb < 0) {
		err = fail(ins.err, "create ring buffer of %llu bytes", (unsigned long long)rbsize);
		goto cleanup;
	}
	if (err) {
		err = fail(err, "load BPF object trace");
		goto cleanup;
	}
	if (ins.err) {
		err = fail(ins.err, "insert ring buffer into slot 0");
		goto cleanup;
	}
	err = trace_bpf__attach(sh->skel);
	if (err) {
		err = fail(err, "attach BPF programs");
		goto cleanup;
	}
	for (size_t i = 0; i < NMAPS; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(sh->skel->obj, map_names[i]);

		pin_path(path, sizeof(path), "", map_names[i]);
		err = map ? bpf_map__pin(map, path) : -ENOENT;
		if (err) {
			err = fail(err, "pin map %s", path);
			goto cleanup;
		}
	}
	{
		struct bpf_link *links[NPROGS] = {
			sh->skel->links.sys_enter, sh->skel->links.sys_exit,
			sh->skel->links.sched_process_fork, sh->skel->links.sched_process_exec,
			sh->skel->links.sched_process_exit, sh->skel->links.cgroup_attach_task,
			sh->skel->links.cgroup_mkdir, sh->skel->links.cgroup_rmdir,
		};

		for (size_t i = 0; i < NPROGS; i++) {
			pin_path(path, sizeof(path), "link_", prog_names[i]);
			err = links[i] ? bpf_link__pin(links[i], path) : -ENOENT;
			if (err) {
				err = fail(err, "pin link %s", path);
				goto cleanup;
			}
		}
	}
	sh->slots = bpf_map__fd(sh->skel->maps.slots);
	sh->cgroups = bpf_map__fd(sh->skel->maps.cgroups);
	sh->buffers = bpf_map__fd(sh->skel->maps.buffers);
	sh->tasks = bpf_map__fd(sh->skel->maps.tasks);
	sh->scratch = bpf_map__fd(sh->skel->maps.scratch);
	sh->throttles = bpf_map__fd(sh->skel->maps.throttles);
	sh->loaded_here = true;
	close(ins.map);
	*rb = ins.rb;
	vlog("loaded and pinned under %s", PIN_DIR);
	return 0;

cleanup:
	if (ins.map >= 0)
		close(ins.map);
	if (ins.rb >= 0)
		close(ins.rb);
	trace_bpf__destroy(sh->skel);
	sh->skel = NULL;
	unload_all();
	return err;
}

static int lock_run_dir(void)
{
	int fd, err;

	if ((err = ensure_dir(RUN_DIR, 0700)) || (err = ensure_dir(RUN_CONTAINERS, 0700)))
		return fail(err, "create %s", RUN_CONTAINERS);
	fd = open(LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail(errno, "open %s", LOCK_FILE);
	while (flock(fd, LOCK_EX)) {
		if (errno != EINTR) {
			err = fail(errno, "lock %s", LOCK_FILE);
			close(fd);
			return err;
		}
	}
	return fd;
}

/* ---- containers ----------------------------------------------------------------------------- */

static bool any_slot_used(struct shared *sh)
{
	for (__u32 k = 0; k < TRACE_MAX_CONTAINERS; k++) {
		struct trace_slot s;

		if (!bpf_map_lookup_elem(sh->slots, &k, &s) && s.cgroup_id)
			return true;
	}
	return false;
}

/* Forgets slot `k`: its cgroups, ring buffer and identity (gen survives: the next arm bumps it). */
static void clear_slot(struct shared *sh, __u32 k)
{
	__u64 key, next, *prev = NULL;
	__u64 *dead = calloc(TRACE_MAX_CGROUPS, sizeof(*dead));
	size_t ndead = 0;
	struct trace_slot s;

	while (dead && !bpf_map_get_next_key(sh->cgroups, prev, &next)) {
		__u32 v;

		if (!bpf_map_lookup_elem(sh->cgroups, &next, &v) && v == k && ndead < TRACE_MAX_CGROUPS)
			dead[ndead++] = next;
		key = next;
		prev = &key;
	}
	for (size_t i = 0; i < ndead; i++)
		bpf_map_delete_elem(sh->cgroups, &dead[i]);
	free(dead);
	bpf_map_delete_elem(sh->buffers, &k);
	if (!bpf_map_lookup_elem(sh->slots, &k, &s)) {
		s.cgroup_id = 0;
		s.init_pid = 0;
		bpf_map_update_elem(sh->slots, &k, &s, BPF_ANY);
	}
}

/* ---- spill: what a container's ring still holds when it is disarmed ---------------------------- */

/*
 * A container deleted before any consumer read its ring would otherwise vanish without a trace
 * (adr/0001, "unconsumed rings"). disarm copies the unconsumed records, the container file and
 * the slot's counters into SPILL_DIR/<id>.<gen>.<armed_boot_ns>.spill, which the consumer turns
 * into the container's JSONL file. If the spill cannot be written (disk full), or would take the
 * spill dir past its cap, a loss marker with the same first line and no records records the loss
 * instead; disarm itself never fails for it.
 *
 * Format: one JSON line {"spill":1,"kind":"records"|"loss",...,"state":<container file>}, then
 * "records_bytes" bytes of records exactly as trace.h lays them out (ring framing and discarded
 * records dropped, each record 8-byte aligned, hdr.size = its length).
 */
/*
 * How long a live consumer gets to drain the ring before we copy it: it drains every 20 ms, but on
 * a loaded host a tick can slip by more than 100 ms (a spill taken then is imported, not lost, but
 * it is a second path for the same records). So wait while it makes progress, and give up after
 * SPILL_STALL_MS without any (a stopped or hung consumer) or SPILL_WAIT_MS in all.
 */
#define SPILL_STALL_MS	500
#define SPILL_WAIT_MS	2000
#define SPILL_MAX	(1ULL << 30)	/* default cap on the spill dir (RUNC_TRACE_BPF_SPILL_MAX) */

static char spill_dir[PATH_MAX], lost_dir[PATH_MAX];
static unsigned long long spill_max = SPILL_MAX;
static __u64 boot_ns(void);

/*
 * Whether some process holds the consumer's flock (RUN_DIR/consumer.lock). Read from /proc/locks
 * rather than by trying the lock ourselves: holding it even briefly would make a consumer that is
 * starting at that moment believe another one runs, and exit.
 */
static bool consumer_attached(void)
{
	char path[PATH_MAX], line[256];
	bool held = false;
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/consumer.lock", RUN_DIR);
	if (lstat(path, &st) || !S_ISREG(st.st_mode))
		return false;
	f = fopen("/proc/locks", "re");
	if (!f)
		return true;	/* cannot tell: assume a consumer, which only costs a short wait */
	while (!held && fgets(line, sizeof(line), f)) {
		unsigned long long ino;
		unsigned int maj, min;
		char type[16];

		/* "1: FLOCK  ADVISORY  WRITE 1234 00:19:5678 0 EOF" */
		if (sscanf(line, "%*[^:]: %15s %*s %*s %*d %x:%x:%llu", type, &maj, &min, &ino) == 4 &&
		    !strcmp(type, "FLOCK") && ino == st.st_ino && makedev(maj, min) == st.st_dev)
			held = true;
	}
	fclose(f);
	return held;
}

struct ring_map {
	const volatile __u64 *cons, *prod;
	const unsigned char *data;	/* 2 x size: the data pages are mapped twice in a row */
	void *cons_page, *data_pages;
	size_t page, size;
};

static int map_ring(int fd, struct ring_map *r)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_RINGBUF || !info.max_entries ||
	    (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	r->page = sysconf(_SC_PAGESIZE);
	r->size = info.max_entries;
	r->cons_page = mmap(NULL, r->page, PROT_READ, MAP_SHARED, fd, 0);
	if (r->cons_page == MAP_FAILED)
		return -errno;
	r->data_pages = mmap(NULL, r->page + 2 * r->size, PROT_READ, MAP_SHARED, fd, r->page);
	if (r->data_pages == MAP_FAILED) {
		int err = -errno;

		munmap(r->cons_page, r->page);
		return err;
	}
	r->cons = r->cons_page;
	r->prod = r->data_pages;
	r->data = (const unsigned char *)r->data_pages + r->page;
	return 0;
}

static void unmap_ring(struct ring_map *r)
{
	munmap(r->cons_page, r->page);
	munmap(r->data_pages, r->page + 2 * r->size);
}

static int ensure_spill_dir(const char *dir)
{
	char parent[PATH_MAX], *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		/* a missing parent is made private; an existing one (RUNC_TRACE_BPF_SPILL_DIR may name
		 * any directory) is the operator's and keeps its mode: the spill dir itself is 0700 */
		if (mkdir(parent, 0700) && errno != EEXIST)
			return -errno;
	}
	return ensure_dir(dir, 0700);
}

/*
 * Whether `need` more bytes fit in the spill dir under spill_max. Without a cap, a host whose
 * consumer is down for a day with many traced containers fills the disk under the spill dir
 * (/var/lib), and everything else on it. Counts every regular file there (st_size: spills, loss
 * markers, anything else); a missing dir holds nothing. If they do not fit, `why` says so and
 * -EDQUOT is returned; a dir that cannot be read is an error like a failed write.
 */
static int spill_room(size_t need, char *why, size_t size)
{
	unsigned long long used = 0;
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	int fd;

	fd = open(spill_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return -errno;
	if (fd >= 0 && !(d = fdopendir(fd))) {
		int err = -errno;

		close(fd);
		return err;
	}
	while (d && (de = readdir(d)))
		if (!fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode))
			used += st.st_size;
	if (d)
		closedir(d);
	if (need <= spill_max && used <= spill_max - need)
		return 0;
	snprintf(why, size, "spill dir cap reached: %s holds %llu bytes, this spill needs %zu, the cap "
		 "(RUNC_TRACE_BPF_SPILL_MAX) is %llu", spill_dir, used, need, spill_max);
	return -EDQUOT;
}

/* json_put_str into a new string (NULL when out of memory) */
static char *json_quote(const char *s)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	json_put_str(f, s);
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

/* Writes header + records to DIR/NAME (tmp, fsync, rename, fsync DIR); nothing is left on failure. */
static int spill_write(const char *dir, const char *name, const char *header, const struct ring_map *r,
		       __u64 from, __u64 to)
{
	char tmp[NAME_MAX + 1];
	int dfd, fd, err = 0;
	FILE *f;

	err = ensure_spill_dir(dir);
	if (err)
		return err;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		close(dfd);
		return err;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out;
	}
	fputs(header, f);
	for (__u64 pos = from; r && pos < to; ) {
		__u32 hdr = *(const volatile __u32 *)(r->data + (pos & (r->size - 1)));
		__u32 len = hdr & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

		if (!(hdr & BPF_RINGBUF_DISCARD_BIT))
			fwrite(r->data + ((pos + BPF_RINGBUF_HDR_SZ) & (r->size - 1)), 1, (len + 7) & ~7u, f);
		pos += (len + BPF_RINGBUF_HDR_SZ + 7) & ~7u;
	}
	if (fflush(f) || fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && renameat(dfd, tmp, dfd, name))
		err = -errno;
	if (!err)
		fsync(dfd);
out:
	if (err)
		unlinkat(dfd, tmp, 0);
	close(dfd);
	return err;
}

/*
 * Copies what slot `k`'s ring (pinned at `pin`) still holds, with `state` (the container file) and
 * the slot's counters. Called with the slot already cleared, so nothing is added to the ring any
 * more (the buffers update waited for running programs). Best effort: never fails disarm.
 */
static void spill_ring(struct shared *sh, __u32 k, const char *id, const char *pin, const char *state)
{
	char name[NAME_MAX + 1], why[512] = "", *header = NULL, *quoted;
	struct ring_map r = {}, *rp = NULL;
	unsigned long long gen = 0, armed = 0;
	__u64 cons = 0, prod = 0, end, bytes = 0;
	struct trace_slot s = {};
	bool attached, truncated = false;
	size_t state_len = strlen(state);
	int fd, err;

	while (state_len && (state[state_len - 1] == '\n' || state[state_len - 1] == ' '))
		state_len--;
	bpf_map_lookup_elem(sh->slots, &k, &s);
	json_get_u64(state, "gen", &gen);
	json_get_u64(state, "armed_boot_ns", &armed);
	attached = consumer_attached();
	fd = bpf_obj_get(pin);
	if (fd >= 0 && !map_ring(fd, &r)) {
		rp = &r;
		/* a live consumer drains every few ms: give it the chance before copying anything */
		__u64 seen = *r.cons;
		for (int i = 0, idle = 0; attached && i < SPILL_WAIT_MS / 5 && idle < SPILL_STALL_MS / 5 &&
					  *r.cons < *r.prod; i++) {
			usleep(5000);
			idle = *r.cons == seen ? idle + 1 : 0;
			seen = *r.cons;
		}
		cons = *r.cons;
		prod = *r.prod;
	}
	if (fd >= 0)
		close(fd);
	if (attached && cons == prod) {
		vlog("%s: ring drained by the consumer, nothing to spill", id);
		goto out;
	}
	/* the copy stops at a record still marked busy (cannot happen once the slot is cleared) */
	for (end = cons; rp && end < prod && end - cons <= r.size; ) {
		__u32 hdr = *(const volatile __u32 *)(r.data + (end & (r.size - 1)));
		__u32 len = hdr & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

		if ((hdr & BPF_RINGBUF_BUSY_BIT) || len > r.size || end + len + BPF_RINGBUF_HDR_SZ > prod) {
			truncated = true;
			break;
		}
		if (!(hdr & BPF_RINGBUF_DISCARD_BIT))
			bytes += (len + 7) & ~7u;	/* what spill_write copies */
		end += (len + BPF_RINGBUF_HDR_SZ + 7) & ~7u;
	}
	if (!rp)
		end = cons;
	snprintf(name, sizeof(name), "%s.%llu.%llu.spill", id, gen, armed);
	if (asprintf(&header, "{\"spill\":1,\"kind\":\"records\",\"error\":null,\"seq\":%llu,\"lost\":%llu,"
		     "\"consumer_pos\":%llu,\"producer_pos\":%llu,\"truncated\":%s,\"consumer_attached\":%s,"
		     "\"disarmed_boot_ns\":%llu,\"state\":%.*s}\n",
		     (unsigned long long)s.seq, (unsigned long long)s.lost, (unsigned long long)cons,
		     (unsigned long long)end, truncated ? "true" : "false", attached ? "true" : "false",
		     (unsigned long long)boot_ns(), (int)state_len, state) < 0) {
		header = NULL;
		err = -ENOMEM;
	} else {
		err = spill_room(strlen(header) + bytes, why, sizeof(why));
		if (!err)
			err = spill_write(spill_dir, name, header, rp, cons, end);
	}
	if (!err) {
		vlog("%s: spilled %llu bytes of unconsumed records to %s/%s", id,
		     (unsigned long long)(end - cons), spill_dir, name);
		goto out;
	}
	if (!why[0])
		snprintf(why, sizeof(why), "%s", strerror(-err));
	fprintf(stderr, "runc-trace-bpf: failed to spill ring buffer of %s to %s (writing a loss marker instead): %s\n",
		id, spill_dir, why);
	/* the loss marker: the same line without records; the consumer writes it as a gap */
	free(header);
	header = NULL;
	snprintf(name, sizeof(name), "%s.%llu.%llu.lost", id, gen, armed);
	quoted = json_quote(why);	/* the cap's message names the spill dir, which may hold '"' */
	if (!quoted || asprintf(&header, "{\"spill\":1,\"kind\":\"loss\",\"error\":%s,\"seq\":%llu,\"lost\":%llu,"
		     "\"consumer_pos\":%llu,\"producer_pos\":%llu,\"truncated\":false,\"consumer_attached\":%s,"
		     "\"disarmed_boot_ns\":%llu,\"state\":%.*s}\n",
		     quoted, (unsigned long long)s.seq, (unsigned long long)s.lost,
		     (unsigned long long)cons, (unsigned long long)prod, attached ? "true" : "false",
		     (unsigned long long)boot_ns(), (int)state_len, state) < 0) {
		free(quoted);
		header = NULL;
		goto out;
	}
	free(quoted);
	/* the spill dir first (persistent); if even that is full, the run dir (tmpfs, another fs) */
	err = spill_write(spill_dir, name, header, NULL, 0, 0);
	if (err)
		err = spill_write(lost_dir, name, header, NULL, 0, 0);
	if (err)
		fail(err, "write loss marker of %s to %s or %s: records of seq < %llu are lost unrecorded",
		     id, spill_dir, lost_dir, (unsigned long long)s.seq);
out:
	free(header);
	if (rp)
		unmap_ring(&r);
}

/* Removes one container; the caller holds the lock. Unknown ids succeed. */
static int disarm_locked(struct shared *sh, const char *id)
{
	char file[PATH_MAX], pin[PATH_MAX], *buf;
	unsigned long long slot, cgid;

	container_file(file, sizeof(file), id);
	container_pin(pin, sizeof(pin), id);
	buf = read_file(file, META_MAX * 2, NULL);
	if (buf && sh && !json_get_u64(buf, "slot", &slot) && !json_get_u64(buf, "cgroup_id", &cgid) &&
	    slot < TRACE_MAX_CONTAINERS) {
		__u32 k = slot;
		struct trace_slot s;

		/* only if the slot is still ours: a crash may have let another container reuse it */
		if (!bpf_map_lookup_elem(sh->slots, &k, &s) && s.cgroup_id == cgid) {
			clear_slot(sh, k);
			spill_ring(sh, k, id, pin, buf);	/* before the unpin frees the ring */
		}
	}
	free(buf);
	if (unlink(pin) && errno != ENOENT)
		return fail(errno, "unpin ring buffer %s", pin);
	if (unlink(file) && errno != ENOENT)
		return fail(errno, "remove %s", file);
	vlog("disarmed %s", id);
	return 0;
}

static bool id_from_file(const char *name, char *id, size_t size)
{
	size_t n = strlen(name);

	if (n <= 5 || strcmp(name + n - 5, ".json") || n - 5 >= size)
		return false;
	memcpy(id, name, n - 5);
	id[n - 5] = '\0';
	return valid_id(id);
}

/*
 * Drops containers whose cgroup is gone (or is another cgroup now), ring buffer pins and
 * slots no container file accounts for; unloads everything when nothing remains.
 */
static int gc_locked(struct shared *sh)
{
	bool used[TRACE_MAX_CONTAINERS] = { false };
	char id[ID_MAX + 1], path[PATH_MAX], cgpath[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (!sh) {	/* nothing loaded: every container file is stale */
		remove_dir_entries(RUN_CONTAINERS, ".json");
		return 0;
	}
	d = opendir(RUN_CONTAINERS);
	while (d && (e = readdir(d))) {
		unsigned long long slot, cgid;
		char *buf;

		if (!id_from_file(e->d_name, id, sizeof(id)))
			continue;
		container_file(path, sizeof(path), id);
		buf = read_file(path, META_MAX * 2, NULL);
		if (buf && !json_get_u64(buf, "slot", &slot) && !json_get_u64(buf, "cgroup_id", &cgid) &&
		    !json_get_str(buf, "cgroup_path", cgpath, sizeof(cgpath)) &&
		    slot < TRACE_MAX_CONTAINERS && cgroup_alive(cgpath, cgid)) {
			used[slot] = true;
		} else {
			vlog("gc: %s is gone", id);
			disarm_locked(sh, id);
		}
		free(buf);
	}
	if (d)
		closedir(d);
	/* ring buffers pinned by an arm that was killed before it wrote its file */
	d = opendir(PIN_CONTAINERS);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		container_file(path, sizeof(path), e->d_name);
		if (access(path, F_OK))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
	for (__u32 k = 0; k < TRACE_MAX_CONTAINERS; k++) {
		struct trace_slot s;

		if (!used[k] && !bpf_map_lookup_elem(sh->slots, &k, &s) && s.cgroup_id) {
			vlog("gc: slot %u is unaccounted for", k);
			clear_slot(sh, k);
		}
	}
	return 0;
}

/* gc, then unload if nothing is traced; *sh stays open only if something remains. */
static int gc_and_maybe_unload(struct shared *sh, bool *open)
{
	int err = open_pinned(sh);

	*open = false;
	if (err == -ENOENT) {
		gc_locked(NULL);
		if (!access(PIN_DIR, F_OK))
			unload_all();	/* partial leftovers */
		return 0;
	}
	if (err)
		return err;
	gc_locked(sh);
	if (!any_slot_used(sh)) {
		close_shared(sh);
		unload_all();
		return 0;
	}
	*open = true;
	return 0;
}

static __u64 boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int write_container_file(const char *id, __u32 slot, __u32 gen, __u64 cgid, const char *cgpath,
				int pid, __u32 rbsize, const char *meta)
{
	char file[PATH_MAX], tmp[PATH_MAX], pin[PATH_MAX];
	FILE *f;
	int fd;

	container_file(file, sizeof(file), id);
	container_pin(pin, sizeof(pin), id);
	snprintf(tmp, sizeof(tmp), "%s/.%s.json.tmp", RUN_CONTAINERS, id);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail(errno, "create %s", tmp);
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return fail(errno, "create %s", tmp);
	}
	fprintf(f, "{\"id\":\"%s\",\"slot\":%u,\"gen\":%u,\"cgroup_id\":%llu,\"cgroup_path\":",
		id, slot, gen, (unsigned long long)cgid);
	json_put_str(f, cgpath);
	fprintf(f, ",\"init_pid\":%d,\"ringbuf\":", pid);
	json_put_str(f, pin);
	fprintf(f, ",\"ringbuf_size\":%u,\"armed_boot_ns\":%llu,\"abi\":%d,\"meta\":%s}\n",
		rbsize, (unsigned long long)boot_ns(), TRACE_ABI_VERSION, meta);
	if (fflush(f) || fsync(fd)) {
		int err = fail(errno, "write %s", tmp);

		fclose(f);
		unlink(tmp);
		return err;
	}
	fclose(f);
	if (rename(tmp, file)) {
		int err = fail(errno, "rename %s", file);

		unlink(tmp);
		return err;
	}
	return 0;
}

static int cmd_arm(const char *id, const char *pid_s, const char *size_s, const char *rate_s)
{
	struct shared sh = SHARED_INIT;
	char cgpath[PATH_MAX], pin[PATH_MAX], file[PATH_MAX], *metabuf = NULL, *meta;
	unsigned long long pid_ull, size = TRACE_DEFAULT_RINGBUF, rate = 0;
	struct trace_throttle_state *nothrottle = NULL;
	bool have_shared, slot_set = false, cg_set = false, pinned = false;
	int lock = -1, pidfd = -1, rb = -1, pid, err;
	struct trace_slot s = {}, old = {};
	struct trace_task task = {};
	__u32 slot = TRACE_MAX_CONTAINERS, v;
	__u64 cgid;
	size_t metalen;

	if (!id || !valid_id(id))
		return fail(EINVAL, "parse --id '%s' (want [A-Za-z0-9_.+-]+)", id ? id : "");
	if (parse_u64(pid_s, &pid_ull) || pid_ull < 1 || pid_ull > INT_MAX)
		return fail(EINVAL, "parse --pid '%s'", pid_s ? pid_s : "");
	pid = pid_ull;
	if (size_s && parse_u64(size_s, &size))
		return fail(EINVAL, "parse --buffer-size '%s'", size_s);
	if (size < TRACE_MIN_RINGBUF || size > TRACE_MAX_RINGBUF || (size & (size - 1)) ||
	    size % sysconf(_SC_PAGESIZE))
		return fail(EINVAL, "parse --buffer-size %llu (want a power of two in [%u, %u])",
			    size, TRACE_MIN_RINGBUF, TRACE_MAX_RINGBUF);
	/* records per second; runc passes the value specconv already validated (io.trace.rate-limit) */
	if (rate_s && (parse_u64(rate_s, &rate) || rate < 1 || rate > TRACE_MAX_RATE))
		return fail(EINVAL, "parse --rate-limit '%s' (want records per second in [1, %u])",
			    rate_s, TRACE_MAX_RATE);

	metabuf = read_fd(STDIN_FILENO, META_MAX, &metalen);
	if (!metabuf)
		return fail(errno, "read container metadata from stdin");
	meta = memchr(metabuf, '\0', metalen) ? NULL : valid_meta(metabuf);
	if (!meta) {
		free(metabuf);
		return fail(EINVAL, "parse container metadata on stdin (want one JSON object)");
	}

	lock = lock_run_dir();
	if (lock < 0) {
		free(metabuf);
		return lock;
	}
	err = gc_and_maybe_unload(&sh, &have_shared);
	if (err)
		goto cleanup;

	container_pin(pin, sizeof(pin), id);
	container_file(file, sizeof(file), id);
	if (!access(file, F_OK) || !access(pin, F_OK)) {
		err = fail(EEXIST, "arm container %s", id);
		goto cleanup;
	}
	/* the pidfd pins the process: the cgroup we read below belongs to it, not to a reused pid */
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		err = fail(errno, "open pidfd of pid %d", pid);
		goto cleanup;
	}
	err = pid_cgroup(pid, cgpath, sizeof(cgpath), &cgid);
	if (err)
		goto cleanup;
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0)) {
		err = fail(errno, "find pid %d", pid);
		goto cleanup;
	}

	if (!have_shared) {
		err = load_and_pin(&sh, size, &rb);	/* also puts the ring buffer into slot 0 */
		if (err)
			goto cleanup;
	}
	if (!bpf_map_lookup_elem(sh.cgroups, &cgid, &v)) {
		err = fail(EBUSY, "register cgroup %s (already traced by slot %u)", cgpath, v);
		goto cleanup;
	}
	for (__u32 k = 0; k < TRACE_MAX_CONTAINERS; k++) {
		if (!bpf_map_lookup_elem(sh.slots, &k, &old) && !old.cgroup_id) {
			slot = k;
			break;
		}
	}
	if (slot == TRACE_MAX_CONTAINERS) {
		err = fail(ENOSPC, "allocate a slot for container %s", id);
		goto cleanup;
	}

	if (rb >= 0 && slot != 0) {	/* cannot happen: a new slots map is all free */
		err = fail(EBUSY, "use slot 0 of new maps");
		goto cleanup;
	}
	if (rb < 0) {
		struct slot_ring a = { .size = size, .slot = slot, .map = sh.buffers, .rb = -1 };

		create_slot_ring(&a);
		rb = a.rb;
		if (rb < 0) {
			err = fail(a.err, "create ring buffer of %llu bytes", size);
			goto cleanup;
		}
		if (a.err) {
			err = fail(a.err, "insert ring buffer into slot %u", slot);
			goto cleanup;
		}
	}
	err = bpf_obj_pin(rb, pin);
	if (err) {
		err = fail(errno, "pin ring buffer %s", pin);
		goto cleanup;
	}
	pinned = true;

	/* a previous tenant may have left suppressed counts behind: start from zero */
	nothrottle = calloc(1, sizeof(*nothrottle));
	if (!nothrottle || bpf_map_update_elem(sh.throttles, &slot, nothrottle, BPF_ANY)) {
		err = fail(nothrottle ? errno : ENOMEM, "clear throttle counters of slot %u", slot);
		goto cleanup;
	}
	s.cgroup_id = cgid;
	s.gen = old.gen + 1;
	s.init_pid = pid;
	s.rate_limit = rate;
	s.interval_ns = rate ? 1000000000ull / rate : 0;
	err = bpf_map_update_elem(sh.slots, &slot, &s, BPF_ANY);
	if (err) {
		err = fail(errno, "fill slot %u", slot);
		goto cleanup;
	}
	slot_set = true;
	err = bpf_map_update_elem(sh.cgroups, &cgid, &slot, BPF_NOEXIST);
	if (err) {
		err = fail(errno, "register cgroup %s", cgpath);
		goto cleanup;
	}
	cg_set = true;
	task.slot = slot;
	task.gen = s.gen;	/* phase runtime */
	err = bpf_map_update_elem(sh.tasks, &pidfd, &task, BPF_ANY);
	if (err) {
		err = fail(errno, "create task storage for pid %d", pid);
		goto cleanup;
	}
	err = write_container_file(id, slot, s.gen, cgid, cgpath, pid, size, meta);
	if (err)
		goto cleanup;
	vlog("armed %s: slot %u gen %u cgroup %s (%llu) pid %d ring %llu bytes rate limit %llu/s",
	     id, slot, s.gen, cgpath, (unsigned long long)cgid, pid, size, rate);

cleanup:
	if (err && sh.loaded_here) {
		close_shared(&sh);
		unload_all();	/* everything this invocation created goes with it */
	} else if (err && have_shared) {
		/* undo in reverse; the pid's task storage is dropped by the kernel side once the slot is clear */
		if (cg_set)
			bpf_map_delete_elem(sh.cgroups, &cgid);
		if (slot_set)
			clear_slot(&sh, slot);
		else if (slot < TRACE_MAX_CONTAINERS)
			bpf_map_delete_elem(sh.buffers, &slot);
		if (pinned)
			unlink(pin);
	}
	if (rb >= 0)
		close(rb);
	if (pidfd >= 0)
		close(pidfd);
	close_shared(&sh);
	if (lock >= 0)
		close(lock);
	free(nothrottle);
	free(metabuf);
	return err;
}

static int cmd_disarm(const char *id)
{
	struct shared sh = SHARED_INIT;
	int lock, err;

	if (!id || !valid_id(id))
		return fail(EINVAL, "parse --id '%s' (want [A-Za-z0-9_.+-]+)", id ? id : "");
	lock = lock_run_dir();
	if (lock < 0)
		return lock;
	err = open_pinned(&sh);
	if (!err) {
		err = disarm_locked(&sh, id);
		if (!any_slot_used(&sh)) {
			close_shared(&sh);
			unload_all();
		}
	} else if (err == -ENOENT) {
		err = disarm_locked(NULL, id);
		if (!access(PIN_DIR, F_OK))
			unload_all();
	}
	close_shared(&sh);
	close(lock);
	return err;
}

static int cmd_gc(void)
{
	struct shared sh = SHARED_INIT;
	bool open;
	int lock, err;

	lock = lock_run_dir();
	if (lock < 0)
		return lock;
	err = gc_and_maybe_unload(&sh, &open);
	close_shared(&sh);
	close(lock);
	return err;
}

static int cmd_status(void)
{
	struct shared sh = SHARED_INIT;
	char id[ID_MAX + 1], path[PATH_MAX];
	bool first = true;
	struct dirent *e;
	int lock, err;
	__u32 ncg = 0;
	DIR *d;

	lock = lock_run_dir();
	if (lock < 0)
		return lock;
	err = open_pinned(&sh);
	if (err && err != -ENOENT)
		goto out;
	if (!err) {
		__u64 key, next, *prev = NULL;

		while (!bpf_map_get_next_key(sh.cgroups, prev, &next)) {
			ncg++;
			key = next;
			prev = &key;
		}
	}
	printf("{\"abi\":%d,\"loaded\":%s,\"pin_dir\":\"%s\",\"cgroups\":%u,\"containers\":[",
	       TRACE_ABI_VERSION, err ? "false" : "true", PIN_DIR, ncg);
	d = opendir(RUN_CONTAINERS);
	while (!err && d && (e = readdir(d))) {
		unsigned long long slot, cgid, rbsize = 0;
		struct trace_slot s = {};
		char *buf;
		__u32 k;

		if (!id_from_file(e->d_name, id, sizeof(id)))
			continue;
		container_file(path, sizeof(path), id);
		buf = read_file(path, META_MAX * 2, NULL);
		if (!buf || json_get_u64(buf, "slot", &slot) || json_get_u64(buf, "cgroup_id", &cgid) ||
		    slot >= TRACE_MAX_CONTAINERS) {
			free(buf);
			continue;
		}
		json_get_u64(buf, "ringbuf_size", &rbsize);
		k = slot;
		bpf_map_lookup_elem(sh.slots, &k, &s);
		printf("%s{\"id\":\"%s\",\"slot\":%u,\"gen\":%u,\"cgroup_id\":%llu,\"init_pid\":%u,"
		       "\"seq\":%llu,\"lost\":%llu,\"throttled\":%llu,\"rate_limit\":%u,\"ringbuf_size\":%llu,\"live\":%s}",
		       first ? "" : ",", id, k, s.gen, cgid, s.init_pid, (unsigned long long)s.seq,
		       (unsigned long long)s.lost, (unsigned long long)s.throttled, s.rate_limit, rbsize,
		       s.cgroup_id == cgid ? "true" : "false");
		first = false;
		free(buf);
	}
	if (d)
		closedir(d);
	printf("]}\n");
	err = 0;
out:
	close_shared(&sh);
	close(lock);
	return err;
}

/* ---- layout and golden records for the decoder -------------------------------------------------- */

#define FIELD(T, f, type) \
	printf("%s\"%s\":{\"offset\":%zu,\"size\":%zu,\"type\":\"%s\"}", first ? "" : ",", #f, \
	       offsetof(struct T, f), sizeof(((struct T *)0)->f), type), first = false
#define STRUCT_BEGIN(T) \
	printf("%s\"%s\":{\"size\":%zu,\"fields\":{", nstruct++ ? "," : "", #T, sizeof(struct T)), first = true
#define STRUCT_END() printf("}}")
#define CONST(c) printf(",\"%s\":%llu", #c, (unsigned long long)(c))

static int cmd_layout(void)
{
	int nstruct = 0;
	bool first;

	printf("{\"abi\":%d,\"structs\":{", TRACE_ABI_VERSION);
	STRUCT_BEGIN(trace_hdr);
	FIELD(trace_hdr, kind, "u16"); FIELD(trace_hdr, flags, "u16"); FIELD(trace_hdr, size, "u32"); FIELD(trace_hdr, seq, "u64");
	FIELD(trace_hdr, ts_boot_ns, "u64"); FIELD(trace_hdr, cgroup_id, "u64"); FIELD(trace_hdr, pid, "u32");
	FIELD(trace_hdr, tid, "u32"); FIELD(trace_hdr, vpid, "u32"); FIELD(trace_hdr, vtid, "u32"); FIELD(trace_hdr, ppid, "u32");
	FIELD(trace_hdr, uid, "u32"); FIELD(trace_hdr, gid, "u32"); FIELD(trace_hdr, slot, "u32"); FIELD(trace_hdr, comm, "char[16]");
	STRUCT_END();
	STRUCT_BEGIN(trace_syscall);
	FIELD(trace_syscall, hdr, "trace_hdr"); FIELD(trace_syscall, ret, "s64"); FIELD(trace_syscall, args, "u64[6]");
	FIELD(trace_syscall, dur_ns, "u64"); FIELD(trace_syscall, nr, "u32"); FIELD(trace_syscall, str0_len, "u16");
	FIELD(trace_syscall, str1_len, "u16");
	STRUCT_END();
	STRUCT_BEGIN(trace_syscall_strings);
	FIELD(trace_syscall_strings, sc, "trace_syscall"); FIELD(trace_syscall_strings, str0, "char[256]");
	FIELD(trace_syscall_strings, str1, "char[512]");
	STRUCT_END();
	STRUCT_BEGIN(trace_fork);
	FIELD(trace_fork, hdr, "trace_hdr"); FIELD(trace_fork, child_pid, "u32"); FIELD(trace_fork, child_tid, "u32");
	FIELD(trace_fork, child_vpid, "u32"); FIELD(trace_fork, child_vtid, "u32");
	STRUCT_END();
	STRUCT_BEGIN(trace_exec);
	FIELD(trace_exec, hdr, "trace_hdr"); FIELD(trace_exec, old_tid, "u32"); FIELD(trace_exec, filename_len, "u16");
	FIELD(trace_exec, pad, "u16"); FIELD(trace_exec, filename, "char[256]");
	STRUCT_END();
	STRUCT_BEGIN(trace_exit);
	FIELD(trace_exit, hdr, "trace_hdr"); FIELD(trace_exit, exit_code, "s32"); FIELD(trace_exit, pad, "u32");
	STRUCT_END();
	STRUCT_BEGIN(trace_throttle_nr);
	FIELD(trace_throttle_nr, nr, "u32"); FIELD(trace_throttle_nr, count, "u32");
	STRUCT_END();
	STRUCT_BEGIN(trace_throttle);
	FIELD(trace_throttle, hdr, "trace_hdr"); FIELD(trace_throttle, start_ns, "u64"); FIELD(trace_throttle, end_ns, "u64");
	FIELD(trace_throttle, suppressed, "u64"); FIELD(trace_throttle, other, "u64"); FIELD(trace_throttle, rate_limit, "u32");
	FIELD(trace_throttle, ntop, "u32"); FIELD(trace_throttle, top, "trace_throttle_nr[8]");
	STRUCT_END();
	STRUCT_BEGIN(trace_slot);
	FIELD(trace_slot, cgroup_id, "u64"); FIELD(trace_slot, seq, "u64"); FIELD(trace_slot, lost, "u64");
	FIELD(trace_slot, gen, "u32"); FIELD(trace_slot, init_pid, "u32"); FIELD(trace_slot, throttled, "u64");
	FIELD(trace_slot, tat, "u64"); FIELD(trace_slot, interval_ns, "u64"); FIELD(trace_slot, rate_limit, "u32");
	FIELD(trace_slot, pad, "u32");
	STRUCT_END();
	printf("},\"constants\":{\"TRACE_ABI_VERSION\":%d", TRACE_ABI_VERSION);
	CONST(TRACE_COMM_LEN); CONST(TRACE_STR0_MAX); CONST(TRACE_STR1_MAX);
	CONST(TRACE_MAX_CONTAINERS); CONST(TRACE_MAX_CGROUPS); CONST(TRACE_DEFAULT_RINGBUF);
	CONST(TRACE_MIN_RINGBUF); CONST(TRACE_MAX_RINGBUF);
	CONST(TRACE_MAX_RATE); CONST(TRACE_THROTTLE_TOP); CONST(TRACE_THROTTLE_NRS);
	CONST(TRACE_REC_SYSCALL); CONST(TRACE_REC_FORK); CONST(TRACE_REC_EXEC); CONST(TRACE_REC_EXIT);
	CONST(TRACE_REC_THROTTLE);
	CONST(TRACE_F_WORKLOAD); CONST(TRACE_F_STR0_TRUNC); CONST(TRACE_F_STR1_TRUNC);
	CONST(TRACE_F_STRINGS); CONST(TRACE_F_THREAD); CONST(TRACE_F_GROUP_DEAD); CONST(TRACE_F_INIT);
	CONST(TRACE_F_STR1_SOCKADDR); CONST(TRACE_F_STR1_ARGV);
	printf("}}\n");
	return 0;
}

static void golden_hdr(struct trace_hdr *h, __u16 kind, __u16 flags, __u32 size, __u64 seq)
{
	h->kind = kind;
	h->flags = flags;
	h->size = size;
	h->seq = seq;
	h->ts_boot_ns = 1000000000ull + seq * 1000;
	h->cgroup_id = 0x1234;
	h->pid = 4242;
	h->tid = 4242;
	h->vpid = 1;
	h->vtid = 1;
	h->ppid = 4200;
	h->uid = 1000;
	h->gid = 1001;
	h->slot = 3;
	strncpy(h->comm, "echo", sizeof(h->comm));
}

/* Six records, little-endian as the host writes them; bpf/README.md lists every value. */
static int cmd_golden(const char *path)
{
	static const char argv[] = "echo\0hello\0world";
	struct trace_syscall_strings ex;
	struct trace_syscall wr;
	struct trace_fork fk;
	struct trace_exec ec;
	struct trace_exit et;
	struct trace_throttle th;
	FILE *f;

	if (!path)
		return fail(EINVAL, "parse golden FILE argument");
	memset(&ex, 0, sizeof(ex));
	golden_hdr(&ex.sc.hdr, TRACE_REC_SYSCALL, TRACE_F_WORKLOAD | TRACE_F_STRINGS | TRACE_F_STR1_ARGV,
		   sizeof(ex), 0);
	ex.sc.ret = 0;
	ex.sc.args[0] = 0x7ffc00001000ull;
	ex.sc.args[1] = 0x7ffc00002000ull;
	ex.sc.args[2] = 0x7ffc00003000ull;
	ex.sc.dur_ns = 250000;
	ex.sc.nr = 59;
	strcpy(ex.str0, "/bin/echo");
	ex.sc.str0_len = strlen(ex.str0);
	memcpy(ex.str1, argv, sizeof(argv));
	ex.sc.str1_len = sizeof(argv) - 1;

	memset(&wr, 0, sizeof(wr));
	golden_hdr(&wr.hdr, TRACE_REC_SYSCALL, TRACE_F_WORKLOAD, sizeof(wr), 1);
	wr.ret = 12;
	wr.args[0] = 1;
	wr.args[1] = 0x5555deadbeefull;
	wr.args[2] = 12;
	wr.dur_ns = 1500;
	wr.nr = 1;

	memset(&fk, 0, sizeof(fk));
	golden_hdr(&fk.hdr, TRACE_REC_FORK, TRACE_F_WORKLOAD, sizeof(fk), 2);
	fk.child_pid = 4243;
	fk.child_tid = 4243;
	fk.child_vpid = 2;
	fk.child_vtid = 2;

	memset(&ec, 0, sizeof(ec));
	golden_hdr(&ec.hdr, TRACE_REC_EXEC, TRACE_F_WORKLOAD, sizeof(ec), 4);	/* seq 3 lost */
	ec.hdr.pid = ec.hdr.tid = 4243;
	ec.hdr.vpid = ec.hdr.vtid = 2;
	ec.hdr.ppid = 4242;
	strncpy(ec.hdr.comm, "true", sizeof(ec.hdr.comm));
	ec.old_tid = 4243;
	strcpy(ec.filename, "/bin/true");
	ec.filename_len = strlen(ec.filename);

	memset(&et, 0, sizeof(et));
	golden_hdr(&et.hdr, TRACE_REC_EXIT, TRACE_F_WORKLOAD | TRACE_F_GROUP_DEAD | TRACE_F_INIT,
		   sizeof(et), 5);
	et.exit_code = 1 << 8;

	memset(&th, 0, sizeof(th));
	golden_hdr(&th.hdr, TRACE_REC_THROTTLE, TRACE_F_WORKLOAD, sizeof(th), 6);
	th.start_ns = 2000000000ull;
	th.end_ns = 2500000000ull;
	th.suppressed = 1234;
	th.other = 34;
	th.rate_limit = 1000;
	th.ntop = 2;
	th.top[0].nr = 110;	/* getppid */
	th.top[0].count = 1000;
	th.top[1].nr = 39;	/* getpid */
	th.top[1].count = 200;

	f = fopen(path, "we");
	if (!f)
		return fail(errno, "create %s", path);
	if (fwrite(&ex, sizeof(ex), 1, f) != 1 || fwrite(&wr, sizeof(wr), 1, f) != 1 ||
	    fwrite(&fk, sizeof(fk), 1, f) != 1 || fwrite(&ec, sizeof(ec), 1, f) != 1 ||
	    fwrite(&et, sizeof(et), 1, f) != 1 || fwrite(&th, sizeof(th), 1, f) != 1 || fclose(f)) {
		int err = fail(errno ? errno : EIO, "write %s", path);

		unlink(path);
		return err;
	}
	return 0;
}

_Static_assert(sizeof(struct trace_hdr) % 8 == 0, "records are 8-byte aligned");
_Static_assert(sizeof(struct trace_syscall) % 8 == 0, "records are 8-byte aligned");
_Static_assert(sizeof(struct trace_syscall_strings) % 8 == 0, "records are 8-byte aligned");
_Static_assert(sizeof(struct trace_fork) % 8 == 0, "records are 8-byte aligned");
_Static_assert(sizeof(struct trace_exec) % 8 == 0, "records are 8-byte aligned");
_Static_assert(sizeof(struct trace_exit) % 8 == 0, "records are 8-byte aligned");
_Static_assert(sizeof(struct trace_throttle) % 8 == 0, "records are 8-byte aligned");

/* ---- main ---------------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: runc-trace-bpf [-v] arm --id ID --pid PID [--buffer-size BYTES] [--rate-limit N] < meta.json\n"
		"       runc-trace-bpf [-v] disarm --id ID\n"
		"       runc-trace-bpf [-v] gc | status | layout | golden FILE\n");
}

int main(int argc, char **argv)
{
	const char *cmd, *id = NULL, *pid = NULL, *size = NULL, *rate = NULL;
	int i = 1;

	if (i < argc && (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose"))) {
		verbose = true;
		i++;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[i++];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "layout"))
		return cmd_layout() ? 1 : 0;
	if (!strcmp(cmd, "golden"))
		return cmd_golden(i < argc ? argv[i] : NULL) ? 1 : 0;

	for (; i < argc; i++) {
		const char **dst = NULL;

		if (!strcmp(argv[i], "--id"))
			dst = &id;
		else if (!strcmp(argv[i], "--pid"))
			dst = &pid;
		else if (!strcmp(argv[i], "--buffer-size"))
			dst = &size;
		else if (!strcmp(argv[i], "--rate-limit"))
			dst = &rate;
		else if (!strcmp(argv[i], "-v")) {
			verbose = true;
			continue;
		}
		if (!dst || i + 1 >= argc) {
			fail(EINVAL, "parse argument '%s'", argv[i]);
			usage(stderr);
			return 2;
		}
		*dst = argv[++i];
	}
	if (getenv("RUNC_TRACE_BPF_PIN_DIR"))
		pin_dir = getenv("RUNC_TRACE_BPF_PIN_DIR");
	if (getenv("RUNC_TRACE_BPF_RUN_DIR"))
		run_dir = getenv("RUNC_TRACE_BPF_RUN_DIR");
	if (strncmp(pin_dir, BPFFS "/", strlen(BPFFS) + 1) || strstr(pin_dir, "..") ||
	    run_dir[0] != '/' || strstr(run_dir, "..") || strlen(pin_dir) > 256 || strlen(run_dir) > 256) {
		fail(EINVAL, "use state directories %s and %s", pin_dir, run_dir);
		return 2;
	}
	snprintf(pin_containers, sizeof(pin_containers), "%s/containers", pin_dir);
	snprintf(run_containers, sizeof(run_containers), "%s/containers", run_dir);
	snprintf(lock_file, sizeof(lock_file), "%s/lock", run_dir);
	/* spills outlive a reboot; a private instance (RUN_DIR set) keeps them to itself */
	if (getenv("RUNC_TRACE_BPF_SPILL_DIR"))
		snprintf(spill_dir, sizeof(spill_dir), "%s", getenv("RUNC_TRACE_BPF_SPILL_DIR"));
	else if (getenv("RUNC_TRACE_BPF_RUN_DIR"))
		snprintf(spill_dir, sizeof(spill_dir), "%s/spill", run_dir);
	else
		snprintf(spill_dir, sizeof(spill_dir), "/var/lib/runc-trace/spill");
	if (spill_dir[0] != '/' || strstr(spill_dir, "..") || strlen(spill_dir) > 256) {
		fail(EINVAL, "use spill directory %s", spill_dir);
		return 2;
	}
	snprintf(lost_dir, sizeof(lost_dir), "%s/lost", run_dir);
	/* strict like --buffer-size: a typo must not silently leave the spill dir uncapped */
	if (getenv("RUNC_TRACE_BPF_SPILL_MAX") && parse_u64(getenv("RUNC_TRACE_BPF_SPILL_MAX"), &spill_max)) {
		fail(EINVAL, "parse RUNC_TRACE_BPF_SPILL_MAX '%s' (want the spill dir's cap in bytes)",
		     getenv("RUNC_TRACE_BPF_SPILL_MAX"));
		return 2;
	}
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	libbpf_set_print(libbpf_print_fn);
	if (geteuid() != 0 && strcmp(cmd, "status")) {
		fail(EPERM, "run %s (needs root)", cmd);
		return 1;
	}
	if (!strcmp(cmd, "arm"))
		return cmd_arm(id, pid, size, rate) ? 1 : 0;
	if (!strcmp(cmd, "disarm"))
		return cmd_disarm(id) ? 1 : 0;
	if (!strcmp(cmd, "gc"))
		return cmd_gc() ? 1 : 0;
	if (!strcmp(cmd, "status"))
		return cmd_status() ? 1 : 0;
	fail(EINVAL, "parse command '%s'", cmd);
	usage(stderr);
	return 2;
}
