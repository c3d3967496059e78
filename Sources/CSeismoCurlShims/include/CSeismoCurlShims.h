// Typed, non-variadic wrappers for libcurl's variadic setopt/getinfo.
//
// Why: Swift cannot call C variadic functions, and curl_easy_setopt's argument
// type depends on the option (long, char*, void*, function pointer, curl_off_t).
// One wrapper per argument type keeps the call sites in Swift fully typed.
#ifndef CSEISMO_CURL_SHIMS_H
#define CSEISMO_CURL_SHIMS_H

#include <curl/curl.h>

#pragma clang assume_nonnull begin

typedef size_t (*cseismo_curl_write_callback)(char *_Nonnull ptr, size_t size, size_t nmemb,
                                              void *_Nullable userdata);

CURLcode cseismo_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode cseismo_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *_Nullable value);
CURLcode cseismo_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *_Nullable value);
CURLcode cseismo_curl_easy_setopt_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode cseismo_curl_easy_setopt_write_function(CURL *handle, CURLoption option,
                                                 cseismo_curl_write_callback _Nullable fn);
CURLcode cseismo_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *out);
CURLcode cseismo_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *out);

#pragma clang assume_nonnull end

#endif
