/* <util.h> of macOS, which zig does not ship: the pseudo-terminal functions of
   libSystem (os.openpty, os.forkpty and os.login_tty use them). */
#ifndef ARMPY_DARWIN_UTIL_H
#define ARMPY_DARWIN_UTIL_H
#include <sys/ioctl.h>
#include <termios.h>

int openpty(int *amaster, int *aslave, char *name, struct termios *termp,
            struct winsize *winp);
int forkpty(int *amaster, char *name, struct termios *termp, struct winsize *winp);
int login_tty(int fd);
#endif
