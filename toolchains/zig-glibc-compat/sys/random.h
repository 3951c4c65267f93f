/* armpy: getrandom and getentropy for programs built against glibc 2.17 (see compat.c). */
#include_next <sys/random.h>

#if !__GLIBC_PREREQ(2, 25) && !defined(ARMPY_GETRANDOM)
# define ARMPY_GETRANDOM 1
__BEGIN_DECLS
extern ssize_t getrandom(void *__buffer, size_t __length, unsigned int __flags);
extern int getentropy(void *__buffer, size_t __length);
__END_DECLS
#endif
