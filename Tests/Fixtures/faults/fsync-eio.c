// LD_PRELOAD shim for the fault matrix: fsync and fdatasync fail with EIO while the file named
// by HOOKWAY_FAIL_FSYNC_FLAG exists (the test creates and removes it), as they do on a failing
// disk. Built by the test: cc -shared -fPIC -o fsync-eio.so fsync-eio.c -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int failing(void) {
    const char *flag = getenv("HOOKWAY_FAIL_FSYNC_FLAG");
    return flag != NULL && access(flag, F_OK) == 0;
}

int fsync(int fd) {
    static int (*real)(int);
    if (failing()) { errno = EIO; return -1; }
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (failing()) { errno = EIO; return -1; }
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return real(fd);
}
