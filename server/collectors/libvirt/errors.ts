/**
 * What can go wrong talking to libvirt, as errors whose message says it plainly (the message
 * becomes the collection run's error).
 */

export class LibvirtError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LibvirtError";
  }
}

/** The daemon did not answer or the connection broke: refused, no socket, reset mid-call. */
export class LibvirtConnectionError extends LibvirtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LibvirtConnectionError";
  }
}

/** The ssh server's host key is not the pinned one (or none is pinned). */
export class LibvirtHostKeyError extends LibvirtConnectionError {
  constructor(
    message: string,
    /** The fingerprint the server presented ("SHA256:..."). */
    readonly fingerprint: string,
  ) {
    super(message);
    this.name = "LibvirtHostKeyError";
  }
}

/** The URI or options cannot be used. */
export class LibvirtConfigurationError extends LibvirtError {
  constructor(message: string) {
    super(message);
    this.name = "LibvirtConfigurationError";
  }
}

/** The daemon requires an authentication this client does not speak (SASL, polkit). */
export class LibvirtAuthError extends LibvirtError {
  constructor(message: string) {
    super(message);
    this.name = "LibvirtAuthError";
  }
}

/** virErrorNumber values this client tells apart (libvirt's virerror.h). */
export const VIR_ERR_NO_SUPPORT = 3;
export const VIR_ERR_RPC = 39;
export const VIR_ERR_NO_DOMAIN = 42;
export const VIR_ERR_CONFIG_UNSUPPORTED = 67;

/** The daemon answered a call with an error (a `remote_error`). */
export class LibvirtRemoteError extends LibvirtError {
  constructor(
    readonly procedure: string,
    /** virErrorNumber */
    readonly code: number,
    /** virErrorDomain */
    readonly domain: number,
    readonly remoteMessage: string,
  ) {
    super(`${procedure} failed: ${remoteMessage || `libvirt error ${code}`}`);
    this.name = "LibvirtRemoteError";
  }

  /** An unknown procedure (old libvirt) or a call the driver does not implement. */
  get unsupported(): boolean {
    return (
      this.code === VIR_ERR_NO_SUPPORT ||
      (this.code === VIR_ERR_RPC && /unknown procedure|unsupported/i.test(this.remoteMessage))
    );
  }
}

/** The bytes are not libvirt's protocol: wrong program, bad framing, malformed XML. */
export class LibvirtProtocolError extends LibvirtError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LibvirtProtocolError";
  }
}
