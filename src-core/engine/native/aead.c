/*
 * VMess chunk AEAD (aes-128-gcm, chacha20-poly1305) with one OpenSSL context per direction.
 *
 * Why native: Node's crypto cannot give an AEAD cipher object a new nonce, so the JS path builds a
 * cipher per chunk (about 4 µs for a 2 KiB V2Ray chunk, more than the sealing itself). Here a
 * context keeps its key schedule and only the nonce changes per chunk, as V2Ray's Go code does.
 * Built twice (binding.gyp): against the OpenSSL inside the Node binary, and, where a static
 * libcrypto exists, with its own hidden copy (PORTHOLE_SELF_CONTAINED), which any host loads,
 * Electron included. It is optional: src-core/engine/native/aead.ts falls back to node:crypto.
 *
 * JS interface (all Buffers; see aead.ts):
 *   create(algorithm 0=aes-128-gcm 1=chacha20-poly1305, key, encrypt) -> context
 *   seal(context, nonce12, plain, out, offset)  writes ciphertext ‖ 16-byte tag at out[offset…]
 *   sealPieces(context, nonce12, pieces, cursor, length, out, offset)
 *     The same for `length` plaintext bytes taken from an array of Buffers, starting at
 *     cursor = Int32Array [piece index, offset in that piece], which is advanced past them. A batch
 *     of Mux frames (headers and views of socket reads) is sealed without first being copied
 *     into one buffer: GCM and Poly1305 take their input in any number of updates.
 *   open(context, nonce12, sealed, out, offset) -> true when authentic; plaintext at out[offset…]
 *   openRun(context, nonce12, input, sizes, padding, out, cursor) -> status
 *     Opens consecutive whole VMess chunks (uint16 masked length ‖ sealed ‖ padding) from input,
 *     V2Ray's 2 KiB chunks being the case it is for: one call per socket read instead of one per
 *     chunk. `sizes` (Uint16Array) holds SHAKE values drawn ahead (padding length, then mask, per
 *     chunk); `cursor` (Int32Array) is [input position, sizes position, sizes end, out position,
 *     chunk counter] and is advanced past every chunk opened. It stops before a chunk that is not
 *     wholly in input or whose values are not drawn yet (status 0), at the end-of-stream chunk
 *     (1, consumed), at a chunk that fails authentication (2) or whose length is shorter than its
 *     overhead (3); the failing chunk is not consumed.
 */
#include <node_api.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define TAG_LENGTH 16
#define NONCE_LENGTH 12

typedef struct {
  EVP_CIPHER_CTX *ctx;
  int encrypt;
} aead_context;

static void throw_error(napi_env env, const char *message) { napi_throw_error(env, "PH_NATIVE", message); }

static void finalize_context(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  aead_context *context = data;
  EVP_CIPHER_CTX_free(context->ctx);
  free(context);
}

static int get_bytes(napi_env env, napi_value value, uint8_t **bytes, size_t *length) {
  bool is_buffer = false;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer) return 0;
  return napi_get_buffer_info(env, value, (void **)bytes, length) == napi_ok;
}

static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t algorithm = 0;
  bool encrypt = false;
  uint8_t *key = NULL;
  size_t key_length = 0;
  if (argc < 3 || napi_get_value_uint32(env, argv[0], &algorithm) != napi_ok || !get_bytes(env, argv[1], &key, &key_length) ||
      napi_get_value_bool(env, argv[2], &encrypt) != napi_ok) {
    throw_error(env, "create(algorithm, key, encrypt)");
    return NULL;
  }
  const EVP_CIPHER *cipher = algorithm == 0 ? EVP_aes_128_gcm() : algorithm == 1 ? EVP_chacha20_poly1305() : NULL;
  if (!cipher || (size_t)EVP_CIPHER_key_length(cipher) != key_length) {
    throw_error(env, "unknown algorithm or wrong key length");
    return NULL;
  }
  aead_context *context = malloc(sizeof(aead_context));
  if (!context) {
    throw_error(env, "out of memory");
    return NULL;
  }
  context->ctx = EVP_CIPHER_CTX_new();
  context->encrypt = encrypt;
  // Key now, nonce per chunk: a later init with a NULL key keeps the key schedule.
  if (!context->ctx || EVP_CipherInit_ex(context->ctx, cipher, NULL, NULL, NULL, encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_ctrl(context->ctx, EVP_CTRL_AEAD_SET_IVLEN, NONCE_LENGTH, NULL) != 1 ||
      EVP_CipherInit_ex(context->ctx, NULL, NULL, key, NULL, encrypt ? 1 : 0) != 1) {
    EVP_CIPHER_CTX_free(context->ctx);
    free(context);
    throw_error(env, "cipher setup failed");
    return NULL;
  }
  napi_value result;
  if (napi_create_external(env, context, finalize_context, NULL, &result) != napi_ok) {
    finalize_context(env, context, NULL);
    throw_error(env, "cannot wrap the context");
    return NULL;
  }
  return result;
}

/* Shared argument parsing of seal/open: context, nonce, input, out, offset; checks the room. */
static int chunk_arguments(napi_env env, napi_callback_info info, int encrypt, aead_context **context, uint8_t **nonce,
                           uint8_t **input, size_t *input_length, uint8_t **out) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  size_t nonce_length = 0, out_length = 0;
  uint32_t offset = 0;
  uint8_t *out_base = NULL;
  if (argc < 5 || napi_get_value_external(env, argv[0], (void **)context) != napi_ok || !get_bytes(env, argv[1], nonce, &nonce_length) ||
      !get_bytes(env, argv[2], input, input_length) || !get_bytes(env, argv[3], &out_base, &out_length) ||
      napi_get_value_uint32(env, argv[4], &offset) != napi_ok) {
    throw_error(env, encrypt ? "seal(context, nonce, plain, out, offset)" : "open(context, nonce, sealed, out, offset)");
    return 0;
  }
  if ((*context)->encrypt != encrypt || nonce_length != NONCE_LENGTH) {
    throw_error(env, "wrong context direction or nonce length");
    return 0;
  }
  size_t produced = encrypt ? *input_length + TAG_LENGTH : *input_length - TAG_LENGTH;
  if ((!encrypt && *input_length < TAG_LENGTH) || *input_length > INT32_MAX || offset > out_length || out_length - offset < produced) {
    throw_error(env, "chunk does not fit the output buffer");
    return 0;
  }
  *out = out_base + offset;
  return 1;
}

static napi_value seal(napi_env env, napi_callback_info info) {
  aead_context *context;
  uint8_t *nonce, *plain, *out;
  size_t length;
  if (!chunk_arguments(env, info, 1, &context, &nonce, &plain, &length, &out)) return NULL;
  int written = 0, final_written = 0;
  if (EVP_EncryptInit_ex(context->ctx, NULL, NULL, NULL, nonce) != 1 ||
      (length > 0 && EVP_EncryptUpdate(context->ctx, out, &written, plain, (int)length) != 1) ||
      EVP_EncryptFinal_ex(context->ctx, out + written, &final_written) != 1 ||
      EVP_CIPHER_CTX_ctrl(context->ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LENGTH, out + length) != 1) {
    throw_error(env, "seal failed");
  }
  return NULL;
}

static napi_value open_chunk(napi_env env, napi_callback_info info) {
  aead_context *context;
  uint8_t *nonce, *sealed, *out;
  size_t length;
  if (!chunk_arguments(env, info, 0, &context, &nonce, &sealed, &length, &out)) return NULL;
  size_t text_length = length - TAG_LENGTH;
  int written = 0, final_written = 0;
  int ok = EVP_DecryptInit_ex(context->ctx, NULL, NULL, NULL, nonce) == 1 &&
           (text_length == 0 || EVP_DecryptUpdate(context->ctx, out, &written, sealed, (int)text_length) == 1) &&
           EVP_CIPHER_CTX_ctrl(context->ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LENGTH, sealed + text_length) == 1 &&
           EVP_DecryptFinal_ex(context->ctx, out + written, &final_written) == 1;
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

#define MAX_PADDING 64
enum { CURSOR_INPUT, CURSOR_SIZES, CURSOR_SIZES_END, CURSOR_OUT, CURSOR_COUNTER, CURSOR_FIELDS };
enum { RUN_MORE, RUN_END, RUN_AUTH_FAILED, RUN_BAD_LENGTH };

static int get_typed(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  if (napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) != napi_ok) return 0;
  return type == want;
}

static napi_value open_run(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  aead_context *context;
  uint8_t *nonce, *input, *out;
  size_t nonce_length, input_length, out_length, sizes_length, cursor_length;
  uint16_t *sizes;
  int32_t *cursor;
  bool padding = false;
  if (argc < 7 || napi_get_value_external(env, argv[0], (void **)&context) != napi_ok || !get_bytes(env, argv[1], &nonce, &nonce_length) ||
      !get_bytes(env, argv[2], &input, &input_length) || !get_typed(env, argv[3], napi_uint16_array, (void **)&sizes, &sizes_length) ||
      napi_get_value_bool(env, argv[4], &padding) != napi_ok || !get_bytes(env, argv[5], &out, &out_length) ||
      !get_typed(env, argv[6], napi_int32_array, (void **)&cursor, &cursor_length) || cursor_length < CURSOR_FIELDS) {
    throw_error(env, "openRun(context, nonce, input, sizes, padding, out, cursor)");
    return NULL;
  }
  if (context->encrypt || nonce_length != NONCE_LENGTH || cursor[CURSOR_INPUT] < 0 || (size_t)cursor[CURSOR_INPUT] > input_length ||
      cursor[CURSOR_SIZES] < 0 || cursor[CURSOR_SIZES] > cursor[CURSOR_SIZES_END] || (size_t)cursor[CURSOR_SIZES_END] > sizes_length ||
      cursor[CURSOR_OUT] < 0 || (size_t)cursor[CURSOR_OUT] > out_length) {
    throw_error(env, "openRun: bad context, nonce or cursor");
    return NULL;
  }
  size_t at = (size_t)cursor[CURSOR_INPUT], drawn = (size_t)cursor[CURSOR_SIZES], out_at = (size_t)cursor[CURSOR_OUT];
  const size_t drawn_end = (size_t)cursor[CURSOR_SIZES_END];
  const size_t per_chunk = padding ? 2 : 1;
  uint32_t counter = (uint32_t)cursor[CURSOR_COUNTER];
  int status = RUN_MORE;
  while (input_length - at >= 2 && drawn_end - drawn >= per_chunk) {
    size_t pad = padding ? sizes[drawn] % MAX_PADDING : 0;
    size_t size = (size_t)(((input[at] << 8) | input[at + 1]) ^ sizes[drawn + per_chunk - 1]);
    if (size == TAG_LENGTH + pad) {
      at += 2;
      drawn += per_chunk;
      status = RUN_END;
      break;
    }
    if (size < TAG_LENGTH + pad) {
      status = RUN_BAD_LENGTH;
      break;
    }
    if (input_length - at - 2 < size) break;
    size_t text_length = size - pad - TAG_LENGTH;
    // Plaintext never outruns the input it came from, but the caller's buffer is checked anyway.
    if (out_length - out_at < text_length) break;
    const uint8_t *sealed = input + at + 2;
    nonce[0] = (uint8_t)(counter >> 8);
    nonce[1] = (uint8_t)counter;
    int written = 0, final_written = 0;
    int ok = EVP_DecryptInit_ex(context->ctx, NULL, NULL, NULL, nonce) == 1 &&
             (text_length == 0 || EVP_DecryptUpdate(context->ctx, out + out_at, &written, sealed, (int)text_length) == 1) &&
             EVP_CIPHER_CTX_ctrl(context->ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LENGTH, (void *)(sealed + text_length)) == 1 &&
             EVP_DecryptFinal_ex(context->ctx, out + out_at + written, &final_written) == 1;
    if (!ok) {
      status = RUN_AUTH_FAILED;
      break;
    }
    at += 2 + size;
    drawn += per_chunk;
    out_at += text_length;
    counter = (counter + 1) & 0xffff;
  }
  cursor[CURSOR_INPUT] = (int32_t)at;
  cursor[CURSOR_SIZES] = (int32_t)drawn;
  cursor[CURSOR_OUT] = (int32_t)out_at;
  cursor[CURSOR_COUNTER] = (int32_t)counter;
  napi_value result;
  napi_create_int32(env, status, &result);
  return result;
}

enum { PIECE_INDEX, PIECE_OFFSET, PIECE_FIELDS };

static napi_value seal_pieces(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  aead_context *context;
  uint8_t *nonce, *out;
  size_t nonce_length, out_length, cursor_length;
  int32_t *cursor;
  uint32_t length = 0, offset = 0, count = 0;
  bool is_array = false;
  if (argc < 7 || napi_get_value_external(env, argv[0], (void **)&context) != napi_ok || !get_bytes(env, argv[1], &nonce, &nonce_length) ||
      napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[2], &count) != napi_ok ||
      !get_typed(env, argv[3], napi_int32_array, (void **)&cursor, &cursor_length) || cursor_length < PIECE_FIELDS ||
      napi_get_value_uint32(env, argv[4], &length) != napi_ok || !get_bytes(env, argv[5], &out, &out_length) ||
      napi_get_value_uint32(env, argv[6], &offset) != napi_ok) {
    throw_error(env, "sealPieces(context, nonce, pieces, cursor, length, out, offset)");
    return NULL;
  }
  if (!context->encrypt || nonce_length != NONCE_LENGTH || length > INT32_MAX || offset > out_length ||
      out_length - offset < (size_t)length + TAG_LENGTH || cursor[PIECE_INDEX] < 0 || cursor[PIECE_OFFSET] < 0) {
    throw_error(env, "sealPieces: bad context, nonce or cursor, or the chunk does not fit the output buffer");
    return NULL;
  }
  uint32_t index = (uint32_t)cursor[PIECE_INDEX];
  size_t at = (size_t)cursor[PIECE_OFFSET], remaining = length;
  uint8_t *to = out + offset;
  if (EVP_EncryptInit_ex(context->ctx, NULL, NULL, NULL, nonce) != 1) {
    throw_error(env, "seal failed");
    return NULL;
  }
  while (remaining > 0) {
    napi_value element;
    uint8_t *piece;
    size_t piece_length;
    if (index >= count || napi_get_element(env, argv[2], index, &element) != napi_ok || !get_bytes(env, element, &piece, &piece_length) ||
        at > piece_length) {
      throw_error(env, "sealPieces: the pieces hold fewer bytes than asked for");
      return NULL;
    }
    size_t take = piece_length - at < remaining ? piece_length - at : remaining;
    int written = 0;
    if (take > 0 && EVP_EncryptUpdate(context->ctx, to, &written, piece + at, (int)take) != 1) {
      throw_error(env, "seal failed");
      return NULL;
    }
    to += written;
    remaining -= take;
    at += take;
    if (at == piece_length) {
      index += 1;
      at = 0;
    }
  }
  int final_written = 0;
  if (EVP_EncryptFinal_ex(context->ctx, to, &final_written) != 1 ||
      EVP_CIPHER_CTX_ctrl(context->ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LENGTH, out + offset + length) != 1) {
    throw_error(env, "seal failed");
    return NULL;
  }
  cursor[PIECE_INDEX] = (int32_t)index;
  cursor[PIECE_OFFSET] = (int32_t)at;
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
#ifdef PORTHOLE_SELF_CONTAINED
  const bool self_contained = true;
#else
  const bool self_contained = false;
#endif
  napi_value self_contained_value;
  napi_get_boolean(env, self_contained, &self_contained_value);
  napi_property_descriptor properties[] = {
      {"selfContained", NULL, NULL, NULL, NULL, self_contained_value, napi_enumerable, NULL},
      {"create", NULL, create, NULL, NULL, NULL, napi_default, NULL},
      {"seal", NULL, seal, NULL, NULL, NULL, napi_default, NULL},
      {"sealPieces", NULL, seal_pieces, NULL, NULL, NULL, napi_default, NULL},
      {"open", NULL, open_chunk, NULL, NULL, NULL, napi_default, NULL},
      {"openRun", NULL, open_run, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
