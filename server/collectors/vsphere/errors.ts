/**
 * What can go wrong talking to a vCenter or an ESXi host, as errors whose message says it plainly
 * (the message becomes the collection run's error). None of them ever carries the password.
 */

export class VsphereError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "VsphereError";
  }
}

/** The endpoint did not answer: refused, unknown host, unreachable, timed out. */
export class VsphereConnectionError extends VsphereError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "VsphereConnectionError";
  }
}

/** The endpoint's certificate is not trusted, or is not the pinned one. */
export class VsphereTlsError extends VsphereError {
  constructor(
    message: string,
    /** SHA-256 fingerprint of the certificate the server presented ("AB:CD:..."), when known. */
    readonly fingerprint: string | null,
  ) {
    super(message);
    this.name = "VsphereTlsError";
  }
}

/** A SOAP fault: the server understood the call and refused it. */
export class VsphereFaultError extends VsphereError {
  constructor(
    /** The vim25 fault type: "InvalidLogin", "NotAuthenticated", "InvalidProperty", ... or "". */
    readonly faultType: string,
    readonly faultString: string,
    readonly method: string,
  ) {
    const what = faultType ? `${faultType}` : "SOAP fault";
    super(`${method} failed: ${what}${faultString ? `: ${faultString}` : ""}`);
    this.name = "VsphereFaultError";
  }
}

/** Wrong user name or password (InvalidLogin). */
export class VsphereLoginError extends VsphereFaultError {
  constructor(faultString: string, user: string) {
    super("InvalidLogin", faultString, "Login");
    this.message = `login as "${user}" refused: wrong user name or password (InvalidLogin)`;
    this.name = "VsphereLoginError";
  }
}

/** The answer is not what a vSphere SOAP endpoint sends: malformed XML, a wrong status or shape. */
export class VsphereProtocolError extends VsphereError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "VsphereProtocolError";
  }
}

export function isNotAuthenticated(error: unknown): boolean {
  return error instanceof VsphereFaultError && error.faultType === "NotAuthenticated";
}
