/**
 * Which arguments of which syscall get a name in `args`. The kernel side copies at most two
 * strings per record: str0 (the first path, or the execve filename) and str1 (the second path,
 * argv when TRACE_F_STR1_ARGV, or a raw sockaddr when TRACE_F_STR1_SOCKADDR). Register arguments
 * named here are decoded from args[i]; everything else is only in `raw`.
 */

/** int (fd, dirfd): the low 32 bits, signed — AT_FDCWD stays -100. */
type IntArg = readonly [name: string, kind: 'int', index: number];
/** unsigned 32-bit flags / mode */
type UintArg = readonly [name: string, kind: 'uint', index: number];
type Str0 = readonly [name: string, kind: 'str0'];
type Str1 = readonly [name: string, kind: 'str1'];
type Argv = readonly [name: 'argv', kind: 'argv'];
type Addr = readonly [name: 'addr', kind: 'addr'];
export type ArgSpec = IntArg | UintArg | Str0 | Str1 | Argv | Addr;

const fd = (i = 0): IntArg => ['fd', 'int', i];
const dirfd = (i = 0): IntArg => ['dirfd', 'int', i];
const flags = (i: number): UintArg => ['flags', 'uint', i];
const mode = (i: number): UintArg => ['mode', 'uint', i];
const pathname: Str0 = ['pathname', 'str0'];
const oldpath: Str0 = ['oldpath', 'str0'];
const newpath: Str1 = ['newpath', 'str1'];
const argv: Argv = ['argv', 'argv'];
const addr: Addr = ['addr', 'addr'];

const table: Record<string, readonly ArgSpec[]> = {
  execve: [['filename', 'str0'], argv],
  execveat: [dirfd(0), ['filename', 'str0'], argv, flags(4)],

  open: [pathname, flags(1), mode(2)],
  openat: [dirfd(0), pathname, flags(2), mode(3)],
  openat2: [dirfd(0), pathname],
  creat: [pathname, mode(1)],
  unlink: [pathname],
  unlinkat: [dirfd(0), pathname, flags(2)],
  mkdir: [pathname, mode(1)],
  mkdirat: [dirfd(0), pathname, mode(2)],
  rmdir: [pathname],
  stat: [pathname],
  lstat: [pathname],
  newfstatat: [dirfd(0), pathname, flags(3)],
  statx: [dirfd(0), pathname, flags(2)],
  statfs: [pathname],
  access: [pathname, mode(1)],
  faccessat: [dirfd(0), pathname, mode(2)],
  faccessat2: [dirfd(0), pathname, mode(2), flags(3)],
  chmod: [pathname, mode(1)],
  fchmodat: [dirfd(0), pathname, mode(2)],
  fchmodat2: [dirfd(0), pathname, mode(2), flags(3)],
  chown: [pathname],
  lchown: [pathname],
  fchownat: [dirfd(0), pathname, flags(4)],
  chdir: [pathname],
  chroot: [pathname],
  truncate: [pathname],
  readlink: [pathname],
  readlinkat: [dirfd(0), pathname],
  mknod: [pathname, mode(1)],
  mknodat: [dirfd(0), pathname, mode(2)],
  utime: [pathname],
  utimes: [pathname],
  utimensat: [dirfd(0), pathname, flags(3)],
  futimesat: [dirfd(0), pathname],
  getxattr: [pathname],
  lgetxattr: [pathname],
  setxattr: [pathname],
  lsetxattr: [pathname],
  listxattr: [pathname],
  llistxattr: [pathname],
  removexattr: [pathname],
  lremovexattr: [pathname],
  inotify_add_watch: [fd(0), pathname],
  name_to_handle_at: [dirfd(0), pathname, flags(4)],
  swapon: [pathname],
  swapoff: [pathname],
  acct: [pathname],
  uselib: [pathname],

  rename: [oldpath, newpath],
  renameat: [['olddirfd', 'int', 0], oldpath, ['newdirfd', 'int', 2], newpath],
  renameat2: [['olddirfd', 'int', 0], oldpath, ['newdirfd', 'int', 2], newpath, flags(4)],
  link: [oldpath, newpath],
  linkat: [['olddirfd', 'int', 0], oldpath, ['newdirfd', 'int', 2], newpath, flags(4)],
  symlink: [oldpath, newpath],
  symlinkat: [oldpath, ['newdirfd', 'int', 1], newpath],

  mount: [['source', 'str0'], ['target', 'str1'], flags(3)],
  umount2: [['target', 'str0'], flags(1)],
  pivot_root: [['new_root', 'str0'], ['put_old', 'str1']],

  connect: [fd(0), addr],
  bind: [fd(0), addr],
  accept: [fd(0), addr],
  accept4: [fd(0), addr, flags(3)],
  sendto: [fd(0), addr, flags(3)],
  recvfrom: [fd(0), addr, flags(3)],
  getsockname: [fd(0), addr],
  getpeername: [fd(0), addr],
  listen: [fd(0)],
  shutdown: [fd(0)],
  setsockopt: [fd(0)],
  getsockopt: [fd(0)],
  sendmsg: [fd(0), flags(2)],
  recvmsg: [fd(0), flags(2)],
  sendmmsg: [fd(0)],
  recvmmsg: [fd(0)],
  socket: [['domain', 'int', 0], ['sock_type', 'int', 1]],

  mmap: [['fd', 'int', 4], flags(3)],
  epoll_ctl: [['epfd', 'int', 0], ['fd', 'int', 2]],
  epoll_wait: [['epfd', 'int', 0]],
  epoll_pwait: [['epfd', 'int', 0]],
  epoll_pwait2: [['epfd', 'int', 0]],
  dup2: [fd(0), ['newfd', 'int', 1]],
  dup3: [fd(0), ['newfd', 'int', 1], flags(2)],
  // Calls that move data between two fds: `fd` is the first one, as for read/write (a filter on a
  // socket's args.fd finds nginx's sendfile to it); the man-page names stay (schema v1 had them,
  // and a removed field would be a new schema version, adr/0006).
  sendfile: [fd(0), ['out_fd', 'int', 0], ['in_fd', 'int', 1]],
  splice: [fd(0), ['fd_in', 'int', 0], ['fd_out', 'int', 2]],
  tee: [fd(0), ['fd_in', 'int', 0], ['fd_out', 'int', 1]],
  copy_file_range: [fd(0), ['fd_in', 'int', 0], ['fd_out', 'int', 2]],
  close_range: [fd(0), ['max_fd', 'uint', 1], flags(2)],
  move_mount: [['from_dirfd', 'int', 0], ['to_dirfd', 'int', 2], flags(4)],
  open_by_handle_at: [['mount_fd', 'int', 0], flags(2)],
  fcntl: [fd(0), ['cmd', 'int', 1]],
  ioctl: [fd(0), ['cmd', 'uint', 1]],
  kill: [['target_pid', 'int', 0], ['sig', 'int', 1]],
  tgkill: [['target_pid', 'int', 0], ['target_tid', 'int', 1], ['sig', 'int', 2]],
};

for (const name of [
  'read', 'write', 'close', 'fstat', 'lseek', 'pread64', 'pwrite64', 'readv', 'writev', 'preadv',
  'pwritev', 'preadv2', 'pwritev2', 'dup', 'flock', 'fsync', 'fdatasync', 'ftruncate', 'getdents',
  'getdents64', 'fchdir', 'fchmod', 'fchown', 'fstatfs', 'fadvise64', 'fallocate', 'syncfs',
  'sync_file_range', 'readahead', 'fgetxattr', 'fsetxattr', 'flistxattr', 'fremovexattr',
  'fanotify_mark', 'pidfd_send_signal', 'pidfd_getfd', 'inotify_rm_watch', 'timerfd_settime',
  'timerfd_gettime', 'fsconfig', 'fsmount', 'vmsplice', 'setns', 'signalfd', 'signalfd4',
  'io_uring_enter', 'io_uring_register', 'finit_module', 'process_madvise', 'quotactl_fd', 'cachestat',
  'landlock_add_rule', 'landlock_restrict_self', 'mq_timedsend', 'mq_timedreceive', 'mq_notify',
  'mq_getsetattr',
]) {
  table[name] ??= [fd(0)];
}

// dirfd first, the path is not copied by the kernel side (only in `raw`)
for (const name of [
  'open_tree', 'open_tree_attr', 'fspick', 'mount_setattr', 'file_getattr', 'file_setattr',
  'getxattrat', 'setxattrat', 'listxattrat', 'removexattrat',
]) {
  table[name] ??= [dirfd(0)];
}

const NONE: readonly ArgSpec[] = [];
export const ARG_SPECS: ReadonlyMap<string, readonly ArgSpec[]> = new Map(Object.entries(table));
export function argSpecs(syscall: string): readonly ArgSpec[] {
  return ARG_SPECS.get(syscall) ?? NONE;
}
