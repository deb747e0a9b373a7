/*
 * Gives the C heap's free pages back to the system (glibc's malloc_trim). A proxy's socket reads
 * and chunk buffers are malloc'd 64 KiB at a time; once a burst of traffic is over and V8 has
 * freed them, glibc keeps the pages (tens of MiB) unless asked. memory-tuning.ts asks when the
 * process goes quiet, right after V8's memory-reducing GC.
 *
 * trim() returns true when memory was released. On a C library without malloc_trim it does
 * nothing and returns false.
 */
#include <node_api.h>
#include <stdbool.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  bool released = false;
#if defined(__GLIBC__)
  released = malloc_trim(0) == 1;
#endif
  napi_value result;
  napi_get_boolean(env, released, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"trim", NULL, trim, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
