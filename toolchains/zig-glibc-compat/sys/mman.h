/* armpy: memfd_create for programs built against glibc 2.17 (see compat.c). */
#include_next <sys/mman.h>

#if defined(__USE_GNU) && !__GLIBC_PREREQ(2, 27) && !defined(ARMPY_MEMFD_CREATE)
# define ARMPY_MEMFD_CREATE 1
extern int memfd_create(const char *__name, unsigned int __flags) __THROW;
#endif
