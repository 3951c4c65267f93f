/* armpy: functions that glibc provides only in releases newer than 2.17.

   A program built against glibc 2.17 cannot link them, yet the kernels it
   runs on today have the system calls behind them. These definitions make
   the calls directly, as glibc's own do: where the kernel lacks one, they
   fail with ENOSYS (which Python reports as OSError, or answers with its own
   fallback, as for close_range). explicit_bzero is plain code.
   Hidden: every program and extension module that needs one links its own
   copy, and none is exported. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define HIDDEN __attribute__((visibility("hidden")))

/* glibc 2.27; Linux 3.17 */
HIDDEN int
memfd_create(const char *name, unsigned int flags)
{
    return (int)syscall(SYS_memfd_create, name, flags);
}

/* glibc 2.27; Linux 4.5 */
HIDDEN ssize_t
copy_file_range(int infd, __off64_t *pinoff, int outfd, __off64_t *poutoff, size_t length,
                unsigned int flags)
{
    return syscall(SYS_copy_file_range, infd, pinoff, outfd, poutoff, length, flags);
}

/* glibc 2.26; Linux 4.6. Where the kernel lacks them, these answer as glibc's
   do: without flags, preadv/pwritev (readv/writev at offset -1) instead; with
   flags, ENOTSUP. The offset goes in two halves, as the kernel takes it. */
static ssize_t
vector_io_fallback(int fd, const struct iovec *iov, int count, off_t offset, int flags,
                   int write)
{
    if (flags != 0) {
        errno = ENOTSUP;
        return -1;
    }
    if (offset == -1)
        return write ? writev(fd, iov, count) : readv(fd, iov, count);
    return write ? pwritev(fd, iov, count, offset) : preadv(fd, iov, count, offset);
}

HIDDEN ssize_t
preadv2(int fd, const struct iovec *iov, int count, off_t offset, int flags)
{
    ssize_t n = syscall(SYS_preadv2, fd, iov, count, (long)offset,
                        (long)((unsigned long long)offset >> 32), flags);
    return n < 0 && errno == ENOSYS ? vector_io_fallback(fd, iov, count, offset, flags, 0) : n;
}

HIDDEN ssize_t
pwritev2(int fd, const struct iovec *iov, int count, off_t offset, int flags)
{
    ssize_t n = syscall(SYS_pwritev2, fd, iov, count, (long)offset,
                        (long)((unsigned long long)offset >> 32), flags);
    return n < 0 && errno == ENOSYS ? vector_io_fallback(fd, iov, count, offset, flags, 1) : n;
}

/* With _FILE_OFFSET_BITS=64 (as CPython builds) glibc's headers name them so; on a
   64-bit target they are the same functions. */
HIDDEN ssize_t preadv64v2(int, const struct iovec *, int, __off64_t, int)
    __attribute__((alias("preadv2")));
HIDDEN ssize_t pwritev64v2(int, const struct iovec *, int, __off64_t, int)
    __attribute__((alias("pwritev2")));

/* glibc 2.34; Linux 5.9 */
HIDDEN int
close_range(unsigned int first, unsigned int last, int flags)
{
    return (int)syscall(SYS_close_range, first, last, flags);
}

/* glibc 2.25; Linux 3.17 */
HIDDEN ssize_t
getrandom(void *buffer, size_t length, unsigned int flags)
{
    return syscall(SYS_getrandom, buffer, length, flags);
}

/* glibc 2.25: at most 256 bytes, all of them or an error */
HIDDEN int
getentropy(void *buffer, size_t length)
{
    char *p = buffer, *end = p + length;
    if (length > 256) {
        errno = EIO;
        return -1;
    }
    while (p < end) {
        ssize_t n = getrandom(p, end - p, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
    }
    return 0;
}

/* glibc 2.25: a memset the compiler may not remove */
HIDDEN void
explicit_bzero(void *s, size_t n)
{
    memset(s, 0, n);
    __asm__ __volatile__("" : : "r"(s) : "memory");
}
