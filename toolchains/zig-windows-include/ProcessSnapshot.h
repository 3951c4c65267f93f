/* Windows' SDK spells it ProcessSnapshot.h (posixmodule.c includes it so); MinGW's
   headers, which zig ships, are lower case, and this file system tells the difference. */
#include <processsnapshot.h>
