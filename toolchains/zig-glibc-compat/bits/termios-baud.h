/* armpy: termios baud rates as every glibc before 2.42 defines them on Linux.

   zig's libc headers come from a current glibc whatever glibc version is targeted.
   Since glibc 2.42, B9600 is 9600 (speed_t holds the baud rate itself); before
   it, B9600 is the kernel's CBAUD code 015, and that is what cfsetospeed and
   friends of glibc 2.17 to 2.41 (the symbol versions a glibc 2.17 target links
   against) expect. Without this file, termios.B9600 of a zig build is 9600 and
   setting a serial line's speed fails or picks another speed. The values are
   the Linux kernel's (include/uapi/asm-generic/termbits.h). This directory is
   searched before zig's headers by toolchains/zig.py. */
#ifndef _TERMIOS_H
# error "Never include <bits/termios-baud.h> directly; use <termios.h> instead."
#endif

#define B0       0000000        /* hang up */
#define B50      0000001
#define B75      0000002
#define B110     0000003
#define B134     0000004
#define B150     0000005
#define B200     0000006
#define B300     0000007
#define B600     0000010
#define B1200    0000011
#define B1800    0000012
#define B2400    0000013
#define B4800    0000014
#define B9600    0000015
#define B19200   0000016
#define B38400   0000017
#ifdef __USE_MISC
# define EXTA B19200
# define EXTB B38400
#endif

#define B57600   0010001
#define B115200  0010002
#define B230400  0010003
#define B460800  0010004
#define B500000  0010005
#define B576000  0010006
#define B921600  0010007
#define B1000000 0010010
#define B1152000 0010011
#define B1500000 0010012
#define B2000000 0010013
#define B2500000 0010014
#define B3000000 0010015
#define B3500000 0010016
#define B4000000 0010017
#define __MAX_BAUD B4000000
