/**
 * XDR (RFC 4506), the subset libvirt's remote protocol uses: big-endian 4-byte ints, 8-byte hypers,
 * counted strings and opaques padded to 4 bytes, optional data as a boolean then the value.
 * Small fields (unsigned char, unsigned short, char) still take 4 bytes each.
 */

export class XdrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XdrError";
  }
}

const pad = (length: number) => (4 - (length % 4)) % 4;

export class XdrWriter {
  private chunks: Buffer[] = [];
  private size = 0;

  private push(buffer: Buffer): this {
    this.chunks.push(buffer);
    this.size += buffer.length;
    return this;
  }

  int(value: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    return this.push(b);
  }

  uint(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    return this.push(b);
  }

  bool(value: boolean): this {
    return this.int(value ? 1 : 0);
  }

  uhyper(value: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(value);
    return this.push(b);
  }

  /** Fixed-length opaque (e.g. a 16-byte uuid): the bytes, padded. */
  fixedOpaque(bytes: Buffer, length: number): this {
    if (bytes.length !== length) throw new XdrError(`fixed opaque of ${length} bytes given ${bytes.length}`);
    return this.push(Buffer.concat([bytes, Buffer.alloc(pad(length))]));
  }

  opaque(bytes: Buffer): this {
    this.uint(bytes.length);
    return this.push(Buffer.concat([bytes, Buffer.alloc(pad(bytes.length))]));
  }

  string(value: string): this {
    return this.opaque(Buffer.from(value, "utf8"));
  }

  /** `remote_string`: a pointer to a string, i.e. optional. */
  optionalString(value: string | null): this {
    this.bool(value !== null);
    return value === null ? this : this.string(value);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

export class XdrReader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  private need(n: number): number {
    const at = this.offset;
    if (at + n > this.buffer.length) {
      throw new XdrError(`truncated XDR data: need ${n} bytes at offset ${at} of ${this.buffer.length}`);
    }
    this.offset += n;
    return at;
  }

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  int(): number {
    return this.buffer.readInt32BE(this.need(4));
  }

  uint(): number {
    return this.buffer.readUInt32BE(this.need(4));
  }

  bool(): boolean {
    const v = this.int();
    if (v !== 0 && v !== 1) throw new XdrError(`not an XDR boolean: ${v}`);
    return v === 1;
  }

  hyper(): bigint {
    return this.buffer.readBigInt64BE(this.need(8));
  }

  uhyper(): bigint {
    return this.buffer.readBigUInt64BE(this.need(8));
  }

  /** An unsigned hyper as a number (exact up to 2^53; larger values lose precision). */
  uhyperNumber(): number {
    return Number(this.uhyper());
  }

  double(): number {
    return this.buffer.readDoubleBE(this.need(8));
  }

  fixedOpaque(length: number): Buffer {
    const at = this.need(length + pad(length));
    return this.buffer.subarray(at, at + length);
  }

  opaque(max = 0x7fffffff): Buffer {
    const length = this.uint();
    if (length > max) throw new XdrError(`XDR opaque of ${length} bytes exceeds its limit ${max}`);
    return this.fixedOpaque(length);
  }

  string(max?: number): string {
    return this.opaque(max).toString("utf8");
  }

  optional<T>(read: (r: XdrReader) => T): T | null {
    return this.bool() ? read(this) : null;
  }

  array<T>(read: (r: XdrReader) => T, max = 0x7fffffff): T[] {
    const length = this.uint();
    if (length > max) throw new XdrError(`XDR array of ${length} items exceeds its limit ${max}`);
    // Every XDR item takes at least 4 bytes: a bad length fails here, not after a huge loop.
    if (length * 4 > this.remaining) throw new XdrError(`XDR array of ${length} items longer than the data`);
    const items: T[] = [];
    for (let i = 0; i < length; i++) items.push(read(this));
    return items;
  }

  /** `char name[n]` as XDR sends it: n four-byte ints, one character each, NUL-terminated. */
  charArray(length: number): string {
    const codes: number[] = [];
    for (let i = 0; i < length; i++) codes.push(this.int() & 0xff);
    const end = codes.indexOf(0);
    return Buffer.from(end < 0 ? codes : codes.slice(0, end)).toString("latin1");
  }
}
