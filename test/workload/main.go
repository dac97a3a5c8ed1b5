// Command workload runs inside traced test containers. It performs a known
// script of syscalls and prints, one JSON object per line, what each one
// returned, so the integration tests can compare the trace with what the
// process itself observed. It is static so that it runs in a bare busybox
// rootfs.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

type observation struct {
	Step    string `json:"step"`
	Syscall string `json:"syscall"`
	Arg     string `json:"arg,omitempty"`
	Ret     int64  `json:"ret"`
	Errno   string `json:"errno,omitempty"`
}

var out = json.NewEncoder(os.Stdout)

func observe(step, name, arg string, r1 uintptr, errno syscall.Errno) int64 {
	o := observation{Step: step, Syscall: name, Arg: arg, Ret: int64(r1)}
	if errno != 0 {
		o.Ret = -int64(errno)
		o.Errno = errnoName(errno)
	}
	_ = out.Encode(o)
	return o.Ret
}

func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.ENOENT:
		return "ENOENT"
	case syscall.EEXIST:
		return "EEXIST"
	case syscall.ECONNREFUSED:
		return "ECONNREFUSED"
	case syscall.ENETUNREACH:
		return "ENETUNREACH"
	case syscall.EACCES:
		return "EACCES"
	case syscall.EPERM:
		return "EPERM"
	case syscall.EINVAL:
		return "EINVAL"
	case syscall.EROFS:
		return "EROFS"
	case syscall.EBADF:
		return "EBADF"
	}
	return "errno " + strconv.Itoa(int(e))
}

func cstr(s string) uintptr {
	b, _ := syscall.BytePtrFromString(s)
	return uintptr(unsafe.Pointer(b))
}

func openat(step, path string, flags int, mode uint32) int64 {
	r, _, e := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(atFdcwd), cstr(path), uintptr(flags), uintptr(mode), 0, 0)
	return observe(step, "openat", path, r, e)
}

const atFdcwd = -100 & (1<<64 - 1)

// script is the known sequence the trace must show with decoded arguments,
// return values and errno names.
func script() {
	fd := openat("create", "/tmp/probe", syscall.O_CREAT|syscall.O_WRONLY|syscall.O_CLOEXEC, 0o600)
	msg := []byte("hello from the workload\n")
	r, _, e := syscall.Syscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&msg[0])), uintptr(len(msg)))
	observe("write", "write", "", r, e)
	r, _, e = syscall.Syscall(syscall.SYS_CLOSE, uintptr(fd), 0, 0)
	observe("close", "close", "", r, e)
	openat("missing", "/nonexistent/file", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	r, _, e = syscall.Syscall(syscall.SYS_MKDIR, cstr("/tmp/dir1"), 0o700, 0)
	observe("mkdir", "mkdir", "/tmp/dir1", r, e)
	r, _, e = syscall.Syscall(syscall.SYS_RENAME, cstr("/tmp/probe"), cstr("/tmp/dir1/renamed"), 0)
	observe("rename", "rename", "/tmp/probe", r, e)
	r, _, e = syscall.Syscall(syscall.SYS_UNLINK, cstr("/tmp/dir1/renamed"), 0, 0)
	observe("unlink", "unlink", "/tmp/dir1/renamed", r, e)

	// connect to 127.0.0.1:9 in the container's own network namespace.
	s, _, e := syscall.RawSyscall(syscall.SYS_SOCKET, syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	observe("socket", "socket", "", s, e)
	sa := [16]byte{2, 0, 0, 9, 127, 0, 0, 1} // AF_INET (little-endian), port 9 (big-endian), 127.0.0.1
	r, _, e = syscall.Syscall(syscall.SYS_CONNECT, s, uintptr(unsafe.Pointer(&sa[0])), 16)
	observe("connect", "connect", "127.0.0.1:9", r, e)

	// A unix socket bound to a path.
	u, _, e := syscall.RawSyscall(syscall.SYS_SOCKET, syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	observe("usocket", "socket", "", u, e)
	var sun [110]byte
	sun[0] = syscall.AF_UNIX
	copy(sun[2:], "/tmp/sock")
	r, _, e = syscall.Syscall(syscall.SYS_BIND, u, uintptr(unsafe.Pointer(&sun[0])), 2+uintptr(len("/tmp/sock"))+1)
	observe("bind", "bind", "/tmp/sock", r, e)

	// A child process: fork+exec shows up in the process tree.
	pid, err := syscall.ForkExec("/bin/true", []string{"true", "child-arg"}, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
	if err == nil {
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil)
		_ = out.Encode(observation{Step: "child", Syscall: "wait4", Arg: "/bin/true", Ret: int64(ws.ExitStatus())})
	}
}

// escape tries to leave the trace: new namespaces of every kind, then a
// file access that must still be recorded after each step.
func escape() {
	runtime.LockOSThread() // unshare applies to this thread only
	for _, ns := range []struct {
		name string
		flag uintptr
	}{
		{"mnt", syscall.CLONE_NEWNS}, {"uts", syscall.CLONE_NEWUTS}, {"ipc", syscall.CLONE_NEWIPC},
		{"net", syscall.CLONE_NEWNET}, {"pid", syscall.CLONE_NEWPID}, {"cgroup", 0x02000000},
		{"time", 0x00000080}, {"user", syscall.CLONE_NEWUSER},
	} {
		r, _, e := syscall.RawSyscall(syscall.SYS_UNSHARE, ns.flag, 0, 0)
		observe("unshare-"+ns.name, "unshare", ns.name, r, e)
		openat("after-"+ns.name, "/escape/after-unshare-"+ns.name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	}
	// A child forked into the new pid namespace is still traced.
	pid, err := syscall.ForkExec("/bin/cat", []string{"cat", "/escape/child-in-new-pidns"}, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
	if err == nil {
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, 0, nil)
	}
}

// waitFile blocks until path exists, then accesses the marker: the test
// moves the process between cgroups while it waits.
func waitFile(path, marker string) {
	for {
		if _, err := os.Stat(path); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	openat("after-wait", marker, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: workload script|escape|wait FILE MARKER|spin N")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "script":
		script()
	case "escape":
		escape()
	case "wait":
		waitFile(os.Args[2], os.Args[3])
	case "spin":
		n, _ := strconv.Atoi(os.Args[2])
		for i := 0; i < n; i++ {
			syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0)
		}
	case "exit":
		code, _ := strconv.Atoi(os.Args[2])
		os.Exit(code)
	default:
		fmt.Fprintln(os.Stderr, "workload: unknown mode", os.Args[1])
		os.Exit(2)
	}
}
