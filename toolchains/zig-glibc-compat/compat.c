/* armpy: Linux system calls that glibc wraps only in releases newer than 2.17.

   A program built against glibc 2.17 cannot link glibc's wrappers of
   memfd_create and copy_file_range (glibc 2.27), yet the kernels it runs on
   today have the system calls. These wrappers make the calls directly, as
   glibc's own do: where the kernel lacks one (memfd_create before Linux 3.17,
   copy_file_range before 4.5), they fail with ENOSYS, which Python reports as
   OSError. Hidden: they are not exported from the programs that link them. */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

__attribute__((visibility("hidden"))) int
memfd_create(const char *name, unsigned int flags)
{
    return (int)syscall(SYS_memfd_create, name, flags);
}

__attribute__((visibility("hidden"))) ssize_t
copy_file_range(int infd, __off64_t *pinoff, int outfd, __off64_t *poutoff, size_t length,
                unsigned int flags)
{
    return syscall(SYS_copy_file_range, infd, pinoff, outfd, poutoff, length, flags);
}
