# Optional native AEAD for VMess chunks (aead.c). Built by scripts/build-native.js during
# `npm run build`; links against the OpenSSL symbols of the Node binary that loads it.
{
  "targets": [
    {
      "target_name": "porthole_aead",
      "sources": ["aead.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
