/* armpy: PIDFD_NONBLOCK is the kernel's flag for pidfd_open (O_NONBLOCK, Linux 5.10);
   glibc's header names it from 2.36 on. os.pidfd_open is a direct system call. */
#include_next <sys/pidfd.h>

#ifndef PIDFD_NONBLOCK
# define PIDFD_NONBLOCK O_NONBLOCK
#endif
