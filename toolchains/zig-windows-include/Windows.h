/* Windows' SDK spells it Windows.h (_wmimodule.cpp includes it so); MinGW's headers,
   which zig ships, are lower case, and this file system tells the difference. */
#include <windows.h>
