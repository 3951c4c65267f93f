/* <sys/ttydev.h> of macOS, which zig does not ship: the 4.3BSD line-speed codes
   (B0 = 0 … EXTB = 15) that ncurses uses under USE_OLD_TTY to keep `ospeed` a
   small index, as on macOS itself. */
#ifndef ARMPY_DARWIN_SYS_TTYDEV_H
#define ARMPY_DARWIN_SYS_TTYDEV_H
#ifdef USE_OLD_TTY
#define B0      0
#define B50     1
#define B75     2
#define B110    3
#define B134    4
#define B150    5
#define B200    6
#define B300    7
#define B600    8
#define B1200   9
#define B1800   10
#define B2400   11
#define B4800   12
#define B9600   13
#define EXTA    14
#define EXTB    15
#define B57600  16
#define B115200 17
#endif
#endif
