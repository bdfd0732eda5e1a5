/**
 * libvirt's RPC framing (src/rpc/virnetprotocol.x) and a call multiplexer over one byte stream.
 *
 * A message is a 4-byte big-endian length (counting itself), a 24-byte header (program, version,
 * procedure, type, serial, status) and an XDR payload. Replies carry the call's serial, so many
 * calls can be in flight on one connection; the daemon answers them in any order.
 */
import type { Duplex } from "node:stream";
import { LibvirtConnectionError, LibvirtProtocolError, LibvirtRemoteError } from "./errors";
import { XdrReader, XdrWriter } from "./xdr";

export const REMOTE_PROGRAM = 0x20008086;
export const REMOTE_PROTOCOL_VERSION = 1;
/** virnetprotocol.x: VIR_NET_MESSAGE_MAX (libvirt 9 raised it to 32 MiB) plus the length word. */
export const MESSAGE_MAX = 32 * 1024 * 1024 + 4;
export const HEADER_SIZE = 24;

export const MessageType = { CALL: 0, REPLY: 1, MESSAGE: 2, STREAM: 3 } as const;
export const MessageStatus = { OK: 0, ERROR: 1, CONTINUE: 2 } as const;

export interface MessageHeader {
  program: number;
  version: number;
  procedure: number;
  type: number;
  serial: number;
  status: number;
}

/** One whole message: length word, header, payload. */
export function encodeMessage(header: MessageHeader, payload: Buffer): Buffer {
  const w = new XdrWriter()
    .uint(4 + HEADER_SIZE + payload.length)
    .uint(header.program)
    .uint(header.version)
    .int(header.procedure)
    .int(header.type)
    .uint(header.serial)
    .int(header.status);
  return Buffer.concat([w.toBuffer(), payload]);
}

/** A message without its length word. */
export function decodeMessage(body: Buffer): { header: MessageHeader; payload: Buffer } {
  if (body.length < HEADER_SIZE) throw new LibvirtProtocolError(`libvirt message too short (${body.length} bytes)`);
  const r = new XdrReader(body);
  const header = {
    program: r.uint(),
    version: r.uint(),
    procedure: r.int(),
    type: r.int(),
    serial: r.uint(),
    status: r.int(),
  };
  return { header, payload: body.subarray(HEADER_SIZE) };
}

/** Splits a byte stream into message bodies (length word removed). */
export class MessageSplitter {
  private pending: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.size += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.size < 4) break;
      let data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.size);
      this.pending = [data];
      const length = data.readUInt32BE(0);
      if (length < 4 + HEADER_SIZE || length > MESSAGE_MAX) {
        throw new LibvirtProtocolError(`not a libvirt RPC message: length ${length}`);
      }
      if (this.size < length) break;
      out.push(data.subarray(4, length));
      data = data.subarray(length);
      this.pending = data.length ? [data] : [];
      this.size = data.length;
    }
    return out;
  }
}

/** remote_error: code, domain, message; the rest (level, objects, extra strings) is not needed. */
export function decodeRemoteError(procedure: string, payload: Buffer): LibvirtRemoteError {
  try {
    const r = new XdrReader(payload);
    const code = r.int();
    const domain = r.int();
    const message = r.optional((x) => x.string()) ?? "";
    return new LibvirtRemoteError(procedure, code, domain, message);
  } catch {
    return new LibvirtRemoteError(procedure, -1, -1, "an error the client could not decode");
  }
}

interface Pending {
  procedure: string;
  resolve: (payload: Buffer) => void;
  reject: (error: Error) => void;
}

export interface RpcClientOptions {
  /** Limit for one call; 0 means none. */
  callTimeoutMs?: number;
  /** Name of the peer in error messages. */
  peer?: string;
  /**
   * Calls sent before their predecessors are answered (default: unlimited). libvirtd over TLS
   * (9.0) leaves a call unread when several arrive in one read: TLS connections send one at a time.
   */
  maxInFlight?: number;
}

/** Calls on one connection to a libvirt daemon; replies matched by serial. */
export class RpcClient {
  private serial = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly splitter = new MessageSplitter();
  private failure: Error | null = null;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private inFlight = 0;
  private readonly queue: (() => void)[] = [];
  readonly peer: string;

  constructor(
    private readonly stream: Duplex,
    options: RpcClientOptions = {},
  ) {
    this.timeoutMs = options.callTimeoutMs ?? 0;
    this.peer = options.peer ?? "libvirt";
    this.maxInFlight = options.maxInFlight ?? Infinity;
    stream.on("data", (chunk: Buffer) => this.receive(chunk));
    // A stream that was read in paused mode before (TLS: the check byte) does not flow by itself.
    stream.resume();
    stream.on("error", (error: Error) =>
      this.fail(new LibvirtConnectionError(`connection to ${this.peer} failed: ${error.message}`, { cause: error })),
    );
    stream.on("close", () => this.fail(new LibvirtConnectionError(`${this.peer} closed the connection`)));
  }

  get closed(): boolean {
    return this.failure !== null;
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const [, call] of this.pending) {
      const e = new LibvirtConnectionError(`${call.procedure}: ${error.message}`, { cause: error });
      call.reject(e);
    }
    this.pending.clear();
  }

  private receive(chunk: Buffer): void {
    let bodies: Buffer[];
    try {
      bodies = this.splitter.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      this.stream.destroy();
      return;
    }
    for (const body of bodies) {
      const { header, payload } = decodeMessage(body);
      // Keepalive and events are other programs or message types: not ours to answer.
      if (header.program !== REMOTE_PROGRAM || header.type !== MessageType.REPLY) continue;
      const call = this.pending.get(header.serial);
      if (!call) continue;
      this.pending.delete(header.serial);
      if (header.status === MessageStatus.OK) call.resolve(payload);
      else if (header.status === MessageStatus.ERROR) call.reject(decodeRemoteError(call.procedure, payload));
      else call.reject(new LibvirtProtocolError(`${call.procedure}: unexpected reply status ${header.status}`));
    }
  }

  /** Sends one call and resolves with the reply's payload (or rejects with the daemon's error). */
  async call(procedure: number, name: string, args: Buffer = Buffer.alloc(0)): Promise<Buffer> {
    if (this.inFlight >= this.maxInFlight) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.inFlight++;
    try {
      return await this.send(procedure, name, args);
    } finally {
      this.inFlight--;
      this.queue.shift()?.();
    }
  }

  private send(procedure: number, name: string, args: Buffer): Promise<Buffer> {
    if (this.failure) {
      return Promise.reject(new LibvirtConnectionError(`${name}: ${this.failure.message}`, { cause: this.failure }));
    }
    const serial = (this.serial = (this.serial + 1) >>> 0);
    return new Promise<Buffer>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => timer && clearTimeout(timer);
      this.pending.set(serial, {
        procedure: name,
        resolve: (payload) => (done(), resolve(payload)),
        reject: (error) => (done(), reject(error)),
      });
      if (this.timeoutMs > 0) {
        timer = setTimeout(() => {
          if (!this.pending.delete(serial)) return;
          reject(new LibvirtConnectionError(`${name}: no answer from ${this.peer} in ${this.timeoutMs} ms`));
        }, this.timeoutMs);
      }
      const header = {
        program: REMOTE_PROGRAM,
        version: REMOTE_PROTOCOL_VERSION,
        procedure,
        type: MessageType.CALL,
        serial,
        status: MessageStatus.OK,
      };
      this.stream.write(encodeMessage(header, args));
    });
  }

  /** Ends the connection (pending calls fail). */
  destroy(): void {
    this.fail(new LibvirtConnectionError("the connection was closed by the client"));
    this.stream.destroy();
  }
}
