// glibc's allocator controls (mallopt, malloc_trim, mallinfo2), which Swift's Glibc
// module does not import. Part of libc: nothing to link.
#include <malloc.h>
