/**
 * server/export/zip.ts read back by yauzl (the zip reader the RVTools import uses): a part streamed
 * in many 1 MiB blocks deflated apart inflates to what was given, with the CRC and sizes its
 * headers declare; an empty streamed part and a whole one too; and the same content cut into
 * chunks differently makes the same file.
 */
import { PassThrough } from "node:stream";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import yauzl from "yauzl";
import { writeZip, type ZipPart } from "@/server/export/zip";

/** Lines like a sheet's rows, compressible but not trivially (a counter and a pseudo-random field). */
function content(bytes: number): Buffer {
  const lines: string[] = [];
  let seed = 7;
  for (let i = 0, size = 0; size < bytes; i++) {
    seed = (seed * 1_103_515_245 + 12_345) >>> 0;
    const line = `<row r="${i}"><c><v>${seed.toString(36)}</v></c><c t="inlineStr"><is><t>vm-${i % 977}.example</t></is></c></row>\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join("").slice(0, bytes), "latin1");
}

async function* cut(data: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield data.subarray(at, at + size);
    at += size;
  }
}

async function zip(parts: ZipPart[]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  const written = await writeZip(parts, out);
  out.end();
  const file = Buffer.concat(chunks);
  expect(written).toBe(file.length);
  return file;
}

interface Read {
  name: string;
  data: Buffer;
  crc: number;
  size: number;
}

async function unzip(file: Buffer): Promise<Read[]> {
  const archive = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(file, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z!))));
  const read: Read[] = [];
  await new Promise<void>((resolve, reject) => {
    archive.on("error", reject);
    archive.on("end", resolve);
    archive.on("entry", (entry: yauzl.Entry) => {
      archive.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream!.on("data", (c: Buffer) => chunks.push(c));
        stream!.on("error", reject);
        stream!.on("end", () => {
          read.push({ name: entry.fileName, data: Buffer.concat(chunks), crc: entry.crc32, size: entry.uncompressedSize });
          archive.readEntry();
        });
      });
    });
    archive.readEntry();
  });
  return read;
}

describe("the zip writer", () => {
  const sheet = content(3 * 1024 * 1024 + 12_345);

  it("streams a part of several blocks that inflates to what was given, with its CRC and size declared", async () => {
    const file = await zip([
      { path: "a.xml", data: "<small/>" },
      { path: "sheet.xml", data: cut(sheet, [65_536, 1, 333_333, 1_048_576, 7]), level: 1 },
      { path: "empty.xml", data: cut(Buffer.alloc(0), [1]) },
    ]);
    const read = await unzip(file);
    expect(read.map((r) => r.name)).toEqual(["a.xml", "sheet.xml", "empty.xml"]);
    for (const [r, expected] of [
      [read[0]!, Buffer.from("<small/>")],
      [read[1]!, sheet],
      [read[2]!, Buffer.alloc(0)],
    ] as const) {
      expect(r.data.equals(expected), r.name).toBe(true);
      expect(r.size).toBe(expected.length);
      expect(r.crc).toBe(zlib.crc32(expected));
    }
    // Deflated, not stored: level 1 still takes these lines to well under a fifth.
    expect(file.length).toBeLessThan(sheet.length / 5);
  });

  it("makes the same file from the same content however it was cut", async () => {
    const a = await zip([{ path: "sheet.xml", data: cut(sheet, [65_536]), level: 1 }]);
    const b = await zip([{ path: "sheet.xml", data: cut(sheet, [1_000_003, 17, 2_500_000]), level: 1 }]);
    expect(a.equals(b)).toBe(true);
  });

  it("fails the part, and writes nothing more, when its source fails", async () => {
    async function* failing() {
      yield sheet.subarray(0, 2 * 1024 * 1024);
      throw new Error("the rows failed");
    }
    const out = new PassThrough();
    out.resume();
    await expect(writeZip([{ path: "sheet.xml", data: failing(), level: 1 }], out)).rejects.toThrow("the rows failed");
  });
});
