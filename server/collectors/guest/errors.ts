/**
 * What can go wrong reaching a guest over ssh, as errors whose message says it plainly (the message
 * becomes the guest's warning on the run). The guest is named as `user@host:port`.
 */

export class GuestError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GuestError";
  }
}

/** Refused, unreachable, timed out, or the connection broke. */
export class GuestConnectionError extends GuestError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GuestConnectionError";
  }
}

/** The server refused the key or password. */
export class GuestAuthError extends GuestError {
  constructor(message: string) {
    super(message);
    this.name = "GuestAuthError";
  }
}

/** The server's host key is not the one pinned or recorded (or was not accepted on first use). */
export class GuestHostKeyError extends GuestConnectionError {
  constructor(
    message: string,
    /** What was expected ("SHA256:..."), null when nothing was pinned or recorded. */
    readonly expected: string | null,
    /** What the server presented ("SHA256:..."). */
    readonly presented: string,
  ) {
    super(message);
    this.name = "GuestHostKeyError";
  }
}

/** The target or options cannot be used (no key, unreadable key file, both host key modes, ...). */
export class GuestConfigurationError extends GuestError {
  constructor(message: string) {
    super(message);
    this.name = "GuestConfigurationError";
  }
}
