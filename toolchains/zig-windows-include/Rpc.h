/* Windows' SDK spells it Rpc.h (socketmodule.c includes it so); MinGW's headers,
   which zig ships, are lower case, and this file system tells the difference. */
#include <rpc.h>
