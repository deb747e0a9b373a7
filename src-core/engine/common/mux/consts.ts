/**
 * Mux.Cool magic numbers (shared/docs/v2ray-wire-protocol.md §4 and §5.3), named once.
 * Sources: v2ray-core v4.34.0 `common/mux/{frame,reader,writer}.go`, `app/reverse/{bridge,portal}.go`.
 */

/** `FrameMetadata.Unmarshal` rejects a metadata length above this ("invalid metalen"). */
export const MAX_METADATA_LENGTH = 512;

/** Smallest metadata: session ID (2) + status (1) + option (1). */
export const MIN_METADATA_LENGTH = 4;

/** Smallest New metadata: the above + network (1) + port (2) + address type (1). */
export const MIN_NEW_METADATA_LENGTH = 8;

/** A stream (TCP) session's writer splits its payload into frames of at most this many bytes. */
export const MAX_STREAM_DATA = 8192;

/**
 * Frame data limit between two Porthole peers (once flow control is on, the peer is known to be
 * Porthole). 4.34's stream reader takes any uint16 length, but its writer never exceeds 8192, so
 * a 4.34 peer keeps getting what it sends. Fewer frames mean fewer pushes per byte on the reader.
 */
export const PORTHOLE_STREAM_DATA = 32 * 1024;

/** A packet (UDP) session carries one datagram per frame; the reader rejects more ("packet size too large"). */
export const MAX_PACKET_DATA = 2048;

/** The data length field is a uint16. */
export const MAX_FRAME_DATA = 0xffff;

/** A domain address has a one-byte length. */
export const MAX_DOMAIN_LENGTH = 255;

/** The reverse proxy's control channel is opened towards this domain (network UDP, port 0). */
export const CONTROL_DOMAIN = 'reverse.internal.v2ray.com';

/** The control channel is the first session the portal opens on each link. */
export const CONTROL_SESSION_ID = 1;

/** The internal target a mux-enabled outbound dials (as VMess command 0x03). Reverse links do not use it. */
export const MUX_COOL_DOMAIN = 'v1.mux.cool';

/** The port the mux client dials `v1.mux.cool` on. */
export const MUX_COOL_PORT = 9527;
