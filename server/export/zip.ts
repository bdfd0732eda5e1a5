/**
 * A streaming zip writer, as much of PKWARE's APPNOTE as an .xlsx needs: small parts stored whole
 * (deflated, CRC and sizes in the local header), large parts deflated as they are generated (sizes and
 * CRC in a data descriptor after the data, flag bit 3), then the central directory; ZIP64 records
 * for an entry, offset or directory past 4 GiB, decided when the sizes are known, as yazl did.
 *
 * Written here rather than with yazl, which it replaces: yazl computes CRC-32 in JavaScript
 * (buffer-crc32), a fifth of an xlsx export's time (bench/export.ts); zlib.crc32 (Node ≥ 20.15) is
 * native and six times faster. Backpressure: a part's chunks are pulled only as fast as deflate and
 * `out` take them; `out` failing (a download cancelled) stops the part's source. A part's chunks
 * are kept until their block is deflated: a source never reuses a Buffer it gave.
 */
import type { Writable } from "node:stream";
import { availableParallelism } from "node:os";
import { promisify } from "node:util";
import zlib from "node:zlib";

export interface ZipPart {
  /** Path inside the zip ("xl/worksheets/sheet1.xml"). */
  path: string;
  /** The whole content, or its chunks in order (deflated as they come). */
  data: string | AsyncIterable<string | Buffer>;
  /** zlib's deflate level for a streamed part (1 fastest … 9 smallest; 6 by default). */
  level?: number;
}

const MAX32 = 0xffffffff;
/** 1980-01-01 00:00 in MS-DOS form (the zip format's earliest date): parts carry no real time. */
const DOS_TIME = 0;
const DOS_DATE = (1 << 5) | 1;
/** Made by Unix, APPNOTE 6.3 (as yazl wrote); regular file, rw-rw-r--. */
const MADE_BY = 0x033f;
const EXTERNAL_ATTRIBUTES = (0o100664 << 16) >>> 0;

interface Written {
  name: Buffer;
  crc: number;
  compressed: number;
  uncompressed: number;
  offset: number;
  streamed: boolean;
}

const zip64 = (w: Written) => w.compressed >= MAX32 || w.uncompressed >= MAX32 || w.offset >= MAX32;

function localHeader(name: Buffer, streamed: boolean, crc = 0, compressed = 0, uncompressed = 0): Buffer {
  const b = Buffer.alloc(30 + name.length);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(20, 4); // version needed: deflate
  b.writeUInt16LE(streamed ? 0x0808 : 0x0800, 6); // bit 3: sizes in the data descriptor; bit 11: UTF-8 names
  b.writeUInt16LE(8, 8); // deflate
  b.writeUInt16LE(DOS_TIME, 10);
  b.writeUInt16LE(DOS_DATE, 12);
  b.writeUInt32LE(crc, 14);
  b.writeUInt32LE(compressed, 18);
  b.writeUInt32LE(uncompressed, 22);
  b.writeUInt16LE(name.length, 26);
  b.writeUInt16LE(0, 28);
  name.copy(b, 30);
  return b;
}

function dataDescriptor(w: Written): Buffer {
  if (!zip64(w)) {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(0x08074b50, 0);
    b.writeUInt32LE(w.crc, 4);
    b.writeUInt32LE(w.compressed, 8);
    b.writeUInt32LE(w.uncompressed, 12);
    return b;
  }
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0x08074b50, 0);
  b.writeUInt32LE(w.crc, 4);
  b.writeBigUInt64LE(BigInt(w.compressed), 8);
  b.writeBigUInt64LE(BigInt(w.uncompressed), 16);
  return b;
}

function centralHeader(w: Written): Buffer {
  const big = zip64(w);
  const extra = big ? 28 : 0;
  const b = Buffer.alloc(46 + w.name.length + extra);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(MADE_BY, 4);
  b.writeUInt16LE(big ? 45 : 20, 6);
  b.writeUInt16LE(w.streamed ? 0x0808 : 0x0800, 8);
  b.writeUInt16LE(8, 10);
  b.writeUInt16LE(DOS_TIME, 12);
  b.writeUInt16LE(DOS_DATE, 14);
  b.writeUInt32LE(w.crc, 16);
  b.writeUInt32LE(big ? MAX32 : w.compressed, 20);
  b.writeUInt32LE(big ? MAX32 : w.uncompressed, 24);
  b.writeUInt16LE(w.name.length, 28);
  b.writeUInt16LE(extra, 30);
  b.writeUInt16LE(0, 32); // comment
  b.writeUInt16LE(0, 34); // disk
  b.writeUInt16LE(0, 36); // internal attributes
  b.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38);
  b.writeUInt32LE(big ? MAX32 : w.offset, 42);
  w.name.copy(b, 46);
  if (big) {
    // ZIP64 extended information: the three fields set to 0xFFFFFFFF above, in APPNOTE's order.
    const at = 46 + w.name.length;
    b.writeUInt16LE(0x0001, at);
    b.writeUInt16LE(24, at + 2);
    b.writeBigUInt64LE(BigInt(w.uncompressed), at + 4);
    b.writeBigUInt64LE(BigInt(w.compressed), at + 12);
    b.writeBigUInt64LE(BigInt(w.offset), at + 20);
  }
  return b;
}

function endRecords(count: number, directorySize: number, directoryOffset: number): Buffer {
  const parts: Buffer[] = [];
  const big = count >= 0xffff || directorySize >= MAX32 || directoryOffset >= MAX32;
  if (big) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(MADE_BY, 12);
    record.writeUInt16LE(45, 14);
    record.writeUInt32LE(0, 16);
    record.writeUInt32LE(0, 20);
    record.writeBigUInt64LE(BigInt(count), 24);
    record.writeBigUInt64LE(BigInt(count), 32);
    record.writeBigUInt64LE(BigInt(directorySize), 40);
    record.writeBigUInt64LE(BigInt(directoryOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeUInt32LE(0, 4);
    locator.writeBigUInt64LE(BigInt(directoryOffset + directorySize), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(record, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(big ? 0xffff : count, 8);
  end.writeUInt16LE(big ? 0xffff : count, 10);
  end.writeUInt32LE(big ? MAX32 : directorySize, 12);
  end.writeUInt32LE(big ? MAX32 : directoryOffset, 16);
  parts.push(end);
  return Buffer.concat(parts);
}

const deflateBlock = promisify(zlib.deflateRaw);
/**
 * A streamed part is deflated in blocks of 1 MiB, each on its own (pigz's way: every block but the
 * last ends in a sync flush, so the blocks joined are one deflate stream), BLOCKS_AT_ONCE on zlib's
 * thread pool while the next is gathered: one deflate stream was the slowest step of an xlsx
 * export once the rows were made as bytes (bench/export.ts). A block's dictionary does not reach
 * into the next: the 200,000-row VM export is as large to 0.1 MB.
 */
const BLOCK = 1024 * 1024;
const BLOCKS_AT_ONCE = Math.max(2, Math.min(4, availableParallelism()));

/** Resolves when `stream` can take more, rejects when it is destroyed first (a reader gone). */
function drained(stream: Writable): Promise<void> {
  if (!stream.writableNeedDrain) return Promise.resolve();
  if (stream.destroyed) return Promise.reject(stream.errored ?? new Error("zip: the output closed before the zip was written"));
  // Listeners removed by hand, not with events.once and an AbortSignal: aborting makes a DOMException
  // with its stack, once per drain (3 % of a 200,000-row xlsx export's time in a profile).
  return new Promise((resolve, reject) => {
    const done = () => {
      stream.off("drain", onDrain);
      stream.off("close", onClose);
    };
    const onDrain = () => {
      done();
      resolve();
    };
    const onClose = () => {
      done();
      reject(stream.errored ?? new Error("zip: the output closed before the zip was written"));
    };
    stream.on("drain", onDrain);
    stream.on("close", onClose);
  });
}

/** Writes the parts as one zip to `out` (not ended); resolves with the bytes written. */
export async function writeZip(parts: ZipPart[], out: Writable): Promise<number> {
  let offset = 0;
  const put = async (chunk: Buffer) => {
    if (out.destroyed) throw out.errored ?? new Error("zip: the output closed before the zip was written");
    offset += chunk.length;
    if (!out.write(chunk)) await drained(out);
  };
  const written: Written[] = [];
  for (const part of parts) {
    const name = Buffer.from(part.path, "utf8");
    const start = offset;
    if (typeof part.data === "string") {
      const raw = Buffer.from(part.data, "utf8");
      const deflated = zlib.deflateRawSync(raw);
      const w: Written = { name, crc: zlib.crc32(raw), compressed: deflated.length, uncompressed: raw.length, offset: start, streamed: false };
      if (zip64(w)) throw new Error(`zip: ${part.path} is too large to be stored whole`);
      await put(localHeader(name, false, w.crc, w.compressed, w.uncompressed));
      await put(deflated);
      written.push(w);
      continue;
    }
    await put(localHeader(name, true));
    const w: Written = { name, crc: 0, compressed: 0, uncompressed: 0, offset: start, streamed: true };
    const level = part.level ?? 6;
    // Blocks deflated on zlib's thread pool, BLOCKS_AT_ONCE at a time besides the one gathered, written out in order.
    const inFlight: Promise<Buffer>[] = [];
    const writeOldest = async () => {
      const deflated = await inFlight.shift()!;
      w.compressed += deflated.length;
      await put(deflated);
    };
    let gathered: Buffer[] = [];
    let size = 0;
    const deflateGathered = async () => {
      const block = gathered.length === 1 ? gathered[0]! : Buffer.concat(gathered, size);
      gathered = [];
      size = 0;
      const deflated = deflateBlock(block, { level, finishFlush: zlib.constants.Z_SYNC_FLUSH });
      // Failing while an earlier block is awaited is not an unhandled rejection: it is seen in turn.
      deflated.catch(() => undefined);
      inFlight.push(deflated);
      if (inFlight.length > BLOCKS_AT_ONCE) await writeOldest();
    };
    for await (const piece of part.data) {
      // Nothing goes to `out` until a whole block is deflated: look at `out` itself for a reader gone.
      if (out.destroyed) throw out.errored ?? new Error("zip: the output closed before the zip was written");
      const chunk = typeof piece === "string" ? Buffer.from(piece, "utf8") : piece;
      w.crc = zlib.crc32(chunk, w.crc);
      w.uncompressed += chunk.length;
      // Blocks of exactly BLOCK bytes: the same content makes the same bytes however it was cut.
      for (let at = 0; at < chunk.length; ) {
        const take = Math.min(BLOCK - size, chunk.length - at);
        gathered.push(take === chunk.length ? chunk : chunk.subarray(at, at + take));
        size += take;
        at += take;
        if (size === BLOCK) await deflateGathered();
      }
    }
    if (size > 0) await deflateGathered();
    while (inFlight.length > 0) await writeOldest();
    // The last block: empty, marked final.
    const last = zlib.deflateRawSync(Buffer.alloc(0), { level });
    w.compressed += last.length;
    await put(last);
    await put(dataDescriptor(w));
    written.push(w);
  }
  const directoryOffset = offset;
  for (const w of written) await put(centralHeader(w));
  await put(endRecords(written.length, offset - directoryOffset, directoryOffset));
  return offset;
}
