/* Windows' SDK spells it Wbemidl.h (_wmimodule.cpp includes it so); MinGW's headers,
   which zig ships, are lower case, and this file system tells the difference. */
#include <wbemidl.h>
