// Thread naming, which Swift's Glibc module does not expose (pthread_setname_np needs
// _GNU_SOURCE, and prctl is variadic). Header only: nothing to link.
#ifndef SEISMO_THREAD_NAME_H
#define SEISMO_THREAD_NAME_H

#include <sys/prctl.h>

// Sets the calling thread's kernel name; the kernel keeps the first 15 bytes.
static inline void seismo_name_current_thread(const char *name) {
    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

#endif
