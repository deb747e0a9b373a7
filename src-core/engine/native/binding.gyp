# Optional native parts, built by scripts/build-native.js during `npm run build`:
# - porthole_aead (aead.c): the VMess chunk AEAD; links against the OpenSSL symbols of the Node
#   binary that loads it, so it loads only into plain Node.
# - porthole_aead_static (aead.c again): the same AEAD with OpenSSL's libcrypto linked in and
#   hidden (built when a static libcrypto is found: `static_libcrypto`), so it needs nothing from
#   the host: Electron, whose Node has BoringSSL, loads it too.
# - porthole_heap (heap.c): gives the C heap's free pages back when traffic goes quiet.
{
  "variables": {
    "static_libcrypto%": ""
  },
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
  ],
  "conditions": [
    ["static_libcrypto!=''", {
      "targets": [
        {
          "target_name": "porthole_aead_static",
          "sources": ["aead.c"],
          "cflags": ["-O2", "-Wall", "-Wextra"],
          "defines": ["NAPI_VERSION=8", "PORTHOLE_SELF_CONTAINED=1"],
          "libraries": ["<(static_libcrypto)"],
          # Its OpenSSL symbols stay its own: none is exported, none binds to the host's.
          "ldflags": ["-Wl,--exclude-libs,ALL", "-Wl,-Bsymbolic"]
        }
      ]
    }]
  ]
}
