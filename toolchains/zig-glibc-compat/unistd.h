/* armpy: declarations of compat.c's functions for programs built against glibc 2.17. */
#include_next <unistd.h>

#if defined(__USE_GNU) && !__GLIBC_PREREQ(2, 27) && !defined(ARMPY_COPY_FILE_RANGE)
# define ARMPY_COPY_FILE_RANGE 1
extern ssize_t copy_file_range(int __infd, __off64_t *__pinoff, int __outfd,
                               __off64_t *__poutoff, size_t __length, unsigned int __flags);
#endif

#if defined(__USE_GNU) && !__GLIBC_PREREQ(2, 34) && !defined(ARMPY_CLOSE_RANGE)
# define ARMPY_CLOSE_RANGE 1
extern int close_range(unsigned int __fd, unsigned int __max_fd, int __flags) __THROW;
#endif
