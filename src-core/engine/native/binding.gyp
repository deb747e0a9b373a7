# Optional native parts, built by scripts/build-native.js during `npm run build`:
# - porthole_aead (aead.c): the VMess chunk AEAD; links against the OpenSSL symbols of the Node
#   binary that loads it.
# - porthole_heap (heap.c): gives the C heap's free pages back when traffic goes quiet.
{
  "targets": [
    {
      "target_name": "porthole_aead",
      "sources": ["aead.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    },
    {
      "target_name": "porthole_heap",
      "sources": ["heap.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
